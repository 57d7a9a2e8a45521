public import EventLog

/// A ticket's current state: what `evolve` makes of its events, in order.
///
/// Pure data; no I/O. ``Ticket/evolve(_:streamID:event:occurredAt:)`` is the only
/// way it changes, so replaying a stream always gives the same ticket.
public struct Ticket: Sendable, Hashable, Codable {
    /// A link to a problem, known error, change or another ticket.
    public struct Link: Sendable, Hashable, Comparable, Codable {
        public var kind: LinkKind
        public var target: String
        public init(kind: LinkKind, target: String) {
            self.kind = kind
            self.target = target
        }
        public static func < (lhs: Link, rhs: Link) -> Bool { (lhs.kind.rawValue, lhs.target) < (rhs.kind.rawValue, rhs.target) }
    }

    /// The ticket number (`INC-000123`), which is also its stream id.
    public var number: String
    /// The stream version: how many events made this state.
    public var version: UInt64 = 0
    /// Whether its stream began with a registration (imported logs may not).
    public var wasRegistered = false

    public var kind: TicketKind = .incident
    public var channel: Channel = .other
    public var caller = ""
    public var client = ClientRef("")
    public var title = ""
    public var category = ""
    public var service = ""
    public var configurationItems: [String] = []
    public var impact: Impact = .medium
    public var urgency: Urgency = .medium
    public var priority: Priority = 3
    public var matrixVersion: UInt16 = 0

    public var status: TicketStatus = .new
    /// The group holding the ticket, if any.
    public var group: String?
    /// The support line holding it (first line until assigned elsewhere).
    public var line: SupportLine = .firstLine
    public var department: Department?
    /// The agent working on it, if any.
    public var agent: String?

    /// When it was registered (its first event's time for an imported stream).
    public var registeredAt: Timestamp
    /// Its last event's time.
    public var updatedAt: Timestamp
    /// The first response: work started, a public reply or an outbound contact.
    public var firstResponseAt: Timestamp?
    /// The last resolution's time, while resolved or closed.
    public var resolvedAt: Timestamp?
    public var closedAt: Timestamp?
    /// The last resolution.
    public var resolution: TicketEvent.Resolved?

    public var resolutionCount = 0
    public var reopenCount = 0
    /// Assignments, the first included.
    public var assignmentCount = 0
    /// Functional escalations.
    public var escalationCount = 0
    /// Hierarchical escalations (management informed).
    public var hierarchicalEscalationCount = 0
    /// The groups that held it, in order, repeats included (for ping-pong).
    public var groupHistory: [String] = []

    /// Since when it is suspended, while suspended.
    public var suspendedSince: Timestamp?
    /// Total time suspended so far (wall-clock microseconds), excluding a running suspension.
    public var suspendedMicroseconds: Int64 = 0
    public var sla: TicketEvent.SLAAttached?
    public var satisfactionScore: UInt8?
    public var satisfactionComment: String?
    public var links: [Link] = []
    public var mergedInto: String?
    public var workMinutes: UInt64 = 0
    public var contactCount = 0
    public var attributes: [String: String] = [:]

    /// A ticket known only by its number, before any event (imported streams
    /// that do not start with a registration begin here).
    public init(number: String, at time: Timestamp) {
        self.number = number
        self.registeredAt = time
        self.updatedAt = time
    }

    /// Whether it was escalated functionally at least once (left the first line by escalation).
    public var wasEscalated: Bool { escalationCount > 0 }

    /// Whether a group held it, left and later held it again.
    public var hasPingPong: Bool {
        var left: Set<String> = []
        var previous: String?
        for group in groupHistory {
            if group != previous {
                if left.contains(group) { return true }
                if let previous { left.insert(previous) }
            }
            previous = group
        }
        return false
    }

    /// Applies one event. Unknown events are skipped by the caller (they decode to
    /// `nil`); an event that does not fit the state is applied as recorded, since
    /// history is what happened, not what should have.
    public static func evolve(_ state: Ticket?, streamID: String, event: DeskEvent, occurredAt: Timestamp) -> Ticket {
        var ticket = state ?? Ticket(number: streamID, at: occurredAt)
        ticket.version += 1
        ticket.updatedAt = occurredAt
        for (key, value) in event.attributes { ticket.attributes[key] = value }
        switch event.body {
        case .registered(let e):
            ticket.wasRegistered = true
            ticket.number = e.number
            ticket.kind = e.kind
            ticket.channel = e.channel
            ticket.caller = e.caller
            ticket.client = e.client
            ticket.title = e.title
            ticket.category = e.category
            ticket.service = e.service
            ticket.configurationItems = e.configurationItems
            ticket.impact = e.impact
            ticket.urgency = e.urgency
            ticket.priority = e.priority
            ticket.matrixVersion = e.matrixVersion
            ticket.registeredAt = occurredAt
            ticket.status = .new
        case .classified(let e):
            ticket.category = e.newCategory
            ticket.service = e.newService
            ticket.configurationItems = e.newConfigurationItems
        case .reprioritised(let e):
            ticket.impact = e.newImpact
            ticket.urgency = e.newUrgency
            ticket.priority = e.newPriority
            ticket.matrixVersion = e.matrixVersion
        case .assigned(let e):
            ticket.assignmentCount += 1
            ticket.move(to: e.group, line: e.line, department: e.department)
            ticket.agent = e.agent
            if ticket.status.isOpen, ticket.status != .suspended { ticket.status = .assigned }
        case .escalated(let e):
            if e.kind == .functional {
                ticket.escalationCount += 1
                ticket.move(to: e.to, line: e.toLine, department: e.department)
                ticket.agent = nil
                if ticket.status.isOpen, ticket.status != .suspended { ticket.status = .assigned }
            } else {
                ticket.hierarchicalEscalationCount += 1
            }
        case .workStarted(let agent):
            ticket.agent = agent
            ticket.status = .inProgress
            ticket.firstResponseAt = ticket.firstResponseAt ?? occurredAt
        case .suspended:
            ticket.status = .suspended
            ticket.suspendedSince = occurredAt
        case .resumed:
            ticket.endSuspension(at: occurredAt)
            ticket.status = ticket.agent == nil ? .assigned : .inProgress
        case .commentAdded(let visibility, _):
            if visibility == .publicReply { ticket.firstResponseAt = ticket.firstResponseAt ?? occurredAt }
        case .workLogged(_, let minutes):
            ticket.workMinutes += UInt64(minutes)
        case .contactLogged(_, let inbound, _):
            ticket.contactCount += 1
            if !inbound { ticket.firstResponseAt = ticket.firstResponseAt ?? occurredAt }
        case .slaAttached(let e):
            ticket.sla = e
        case .resolved(let e):
            ticket.endSuspension(at: occurredAt)
            ticket.status = .resolved
            ticket.resolvedAt = occurredAt
            ticket.resolution = e
            ticket.resolutionCount += 1
        case .reopened:
            ticket.reopenCount += 1
            ticket.status = ticket.group == nil ? .new : .assigned
            ticket.resolvedAt = nil
        case .closed:
            ticket.endSuspension(at: occurredAt)
            ticket.status = .closed
            ticket.closedAt = occurredAt
        case .cancelled:
            ticket.endSuspension(at: occurredAt)
            ticket.status = .cancelled
            ticket.closedAt = occurredAt
        case .merged(let into):
            ticket.endSuspension(at: occurredAt)
            ticket.status = .merged
            ticket.mergedInto = into
            ticket.closedAt = occurredAt
        case .satisfactionRecorded(let score, let comment):
            ticket.satisfactionScore = score
            ticket.satisfactionComment = comment
        case .linked(let kind, let target):
            let link = Link(kind: kind, target: target)
            if !ticket.links.contains(link) {
                ticket.links.append(link)
                ticket.links.sort()
            }
        case .unlinked(let kind, let target):
            ticket.links.removeAll { $0 == Link(kind: kind, target: target) }
        case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed, .activityRecorded, .deskDescribed:
            break
        }
        return ticket
    }

    private mutating func move(to newGroup: String, line newLine: SupportLine, department newDepartment: Department?) {
        group = newGroup
        line = newLine
        department = newDepartment
        groupHistory.append(newGroup)
    }

    private mutating func endSuspension(at time: Timestamp) {
        if let since = suspendedSince {
            suspendedMicroseconds += max(0, time.microseconds - since.microseconds)
            suspendedSince = nil
        }
    }
}

/// A problem record's state (ITIL problem management).
public struct Problem: Sendable, Hashable, Codable {
    /// Where a problem is in its life.
    public enum Status: UInt8, Sendable, Hashable, Codable {
        case open = 1, rootCauseKnown, knownError, closed
    }

    public var number: String
    public var version: UInt64 = 0
    public var title = ""
    public var category = ""
    public var service = ""
    public var configurationItems: [String] = []
    public var status: Status = .open
    public var openedAt: Timestamp
    public var closedAt: Timestamp?
    public var rootCause: String?
    public var workaround: String?
    public var resolution: String?

    public init(number: String, at time: Timestamp) {
        self.number = number
        self.openedAt = time
    }

    /// Applies one event of a problem stream.
    public static func evolve(_ state: Problem?, streamID: String, event: DeskEvent, occurredAt: Timestamp) -> Problem {
        var problem = state ?? Problem(number: streamID, at: occurredAt)
        problem.version += 1
        switch event.body {
        case .problemOpened(let e):
            problem.number = e.number
            problem.title = e.title
            problem.category = e.category
            problem.service = e.service
            problem.configurationItems = e.configurationItems
            problem.openedAt = occurredAt
        case .rootCauseFound(let description, let item):
            problem.rootCause = description
            if let item, !problem.configurationItems.contains(item) { problem.configurationItems.append(item) }
            problem.status = .rootCauseKnown
        case .knownErrorRecorded(_, let workaround):
            problem.workaround = workaround
            problem.status = .knownError
        case .problemClosed(let resolution):
            problem.resolution = resolution
            problem.status = .closed
            problem.closedAt = occurredAt
        default:
            break
        }
        return problem
    }
}
