public import EventLog

/// A ticket's current state: what `evolve` makes of its events, in order.
///
/// Pure data; no I/O. ``Ticket/evolve(_:streamID:event:occurredAt:)`` is the only
/// way it changes, so replaying a stream always gives the same ticket.
public struct Ticket: Sendable, Hashable, Codable {
    /// A link to a problem, known error, change or another ticket.
    public struct Link: Sendable, Hashable, Comparable, Codable {
        /// What the target is.
        public var kind: LinkKind
        /// The target's number or identifier.
        public var target: String
        /// Creates a link.
        public init(kind: LinkKind, target: String) {
            self.kind = kind
            self.target = target
        }
        /// Links sort by kind, then target.
        public static func < (lhs: Link, rhs: Link) -> Bool { (lhs.kind.rawValue, lhs.target) < (rhs.kind.rawValue, rhs.target) }
    }

    /// The ticket number (`INC-000123`), which is also its stream id.
    public var number: String
    /// The stream version: how many events made this state.
    public var version: UInt64 = 0
    /// Whether its stream began with a registration (imported logs may not).
    public var wasRegistered = false

    /// Incident or service request.
    public var kind: TicketKind = .incident
    /// How it reached the desk.
    public var channel: Channel = .other
    /// Who reported or requested it.
    public var caller = ""
    /// The caller's organisation (internal department or outsourced customer).
    public var client = ClientRef("")
    /// A one-line summary.
    public var title = ""
    /// The category (as classified last).
    public var category = ""
    /// The affected service.
    public var service = ""
    /// The affected configuration items, most relevant first.
    public var configurationItems: [String] = []
    /// How much of the business is affected.
    public var impact: Impact = .medium
    /// How soon it must be dealt with.
    public var urgency: Urgency = .medium
    /// The priority (from the matrix unless overridden), 1 (critical) to 5; 0 when
    /// nothing stated one (a ticket opened without a registration, or an imported
    /// registration whose source gives none).
    public var priority: Priority = 0
    /// The version of the priority matrix that set the priority.
    public var matrixVersion: UInt16 = 0

    /// Where it is in its life.
    public var status: TicketStatus = .new
    /// The group holding the ticket, if any.
    public var group: String?
    /// The support line holding it (first line until assigned elsewhere).
    public var line: SupportLine = .firstLine
    /// The department of the specialist group holding it, if any.
    public var department: Department?
    /// The agent working on it, if any.
    public var agent: String?

    /// When it opened: its first event's time, a registration or not (a later
    /// registration does not move it).
    public var registeredAt: Timestamp
    /// Its last event's time.
    public var updatedAt: Timestamp
    /// The first response: work started, a public reply or an outbound contact.
    public var firstResponseAt: Timestamp?
    /// The last resolution's time, while resolved or closed.
    public var resolvedAt: Timestamp?
    /// When it was closed, cancelled or merged.
    public var closedAt: Timestamp?
    /// The last resolution.
    public var resolution: TicketEvent.Resolved?

    /// How many times it was resolved (reopenings make more).
    public var resolutionCount = 0
    /// How many times it was reopened.
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
    /// The SLA attached last, with its recorded due times.
    public var sla: TicketEvent.SLAAttached?
    /// The caller's satisfaction score, 1 to 5.
    public var satisfactionScore: UInt8?
    /// The caller's comment with the score.
    public var satisfactionComment: String?
    /// Links to problems, known errors, changes and other tickets, sorted.
    public var links: [Link] = []
    /// The ticket it was merged into.
    public var mergedInto: String?
    /// Work logged, in minutes.
    public var workMinutes: UInt64 = 0
    /// Calls and mails logged.
    public var contactCount = 0
    /// Custom attributes of the embedding service (the latest value per key).
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
        ticket.apply(event, occurredAt: occurredAt)
        return ticket
    }

    /// Applies one event in place (what ``evolve(_:streamID:event:occurredAt:)``
    /// does, without copying the ticket).
    public mutating func apply(_ event: DeskEvent, occurredAt: Timestamp) {
        version += 1
        updatedAt = occurredAt
        for (key, value) in event.attributes { attributes[key] = value }
        switch event.body {
        case .registered(let e):
            wasRegistered = true
            number = e.number
            kind = e.kind
            channel = e.channel
            caller = e.caller
            client = e.client
            title = e.title
            category = e.category
            service = e.service
            configurationItems = e.configurationItems
            impact = e.impact
            urgency = e.urgency
            priority = e.priority
            matrixVersion = e.matrixVersion
            // A ticket's clock starts at its first event. A registration that comes
            // later (imported logs repeat them) updates its fields, never restarts it.
            if version == 1 {
                registeredAt = occurredAt
                status = .new
            }
        case .classified(let e):
            category = e.newCategory
            service = e.newService
            configurationItems = e.newConfigurationItems
        case .reprioritised(let e):
            impact = e.newImpact
            urgency = e.newUrgency
            priority = e.newPriority
            matrixVersion = e.matrixVersion
        case .assigned(let e):
            assignmentCount += 1
            move(to: e.group, line: e.line, department: e.department)
            agent = e.agent
            if status.isOpen, status != .suspended { status = .assigned }
        case .escalated(let e):
            if e.kind == .functional {
                escalationCount += 1
                move(to: e.to, line: e.toLine, department: e.department)
                agent = nil
                if status.isOpen, status != .suspended { status = .assigned }
            } else {
                hierarchicalEscalationCount += 1
            }
        case .workStarted(let who):
            agent = who
            status = .inProgress
            firstResponseAt = firstResponseAt ?? occurredAt
        case .suspended:
            status = .suspended
            suspendedSince = occurredAt
        case .resumed:
            endSuspension(at: occurredAt)
            status = agent == nil ? .assigned : .inProgress
        case .commentAdded(let visibility, _):
            if visibility == .publicReply { firstResponseAt = firstResponseAt ?? occurredAt }
        case .workLogged(_, let minutes):
            workMinutes += UInt64(minutes)
        case .contactLogged(_, let inbound, _):
            contactCount += 1
            if !inbound { firstResponseAt = firstResponseAt ?? occurredAt }
        case .slaAttached(let e):
            sla = e
        case .resolved(let e):
            endSuspension(at: occurredAt)
            status = .resolved
            resolvedAt = occurredAt
            resolution = e
            resolutionCount += 1
        case .reopened:
            reopenCount += 1
            status = group == nil ? .new : .assigned
            resolvedAt = nil
        case .closed:
            endSuspension(at: occurredAt)
            status = .closed
            closedAt = occurredAt
        case .cancelled:
            endSuspension(at: occurredAt)
            status = .cancelled
            closedAt = occurredAt
        case .merged(let into):
            endSuspension(at: occurredAt)
            status = .merged
            mergedInto = into
            closedAt = occurredAt
        case .satisfactionRecorded(let score, let comment):
            satisfactionScore = score
            satisfactionComment = comment
        case .linked(let kind, let target):
            let link = Link(kind: kind, target: target)
            if !links.contains(link) {
                links.append(link)
                links.sort()
            }
        case .unlinked(let kind, let target):
            links.removeAll { $0 == Link(kind: kind, target: target) }
        case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed, .activityRecorded, .deskDescribed, .personalDataProtected, .subjectForgotten:
            break
        }
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

    /// The problem number (`PRB-000001`), also its stream id.
    public var number: String
    /// The stream version: how many events made this state.
    public var version: UInt64 = 0
    /// A one-line summary.
    public var title = ""
    /// The category (as classified last).
    public var category = ""
    /// The affected service.
    public var service = ""
    /// The affected configuration items, most relevant first.
    public var configurationItems: [String] = []
    /// Where it is in its life.
    public var status: Status = .open
    /// When it was opened.
    public var openedAt: Timestamp
    /// When it was closed, cancelled or merged.
    public var closedAt: Timestamp?
    /// The root cause, once found.
    public var rootCause: String?
    /// The workaround of the known error, once recorded.
    public var workaround: String?
    /// How it was closed.
    public var resolution: String?

    /// A problem known only by its number, before any event.
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
