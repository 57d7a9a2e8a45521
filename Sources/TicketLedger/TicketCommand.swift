public import EventLog

/// What a caller registers.
public struct Registration: Sendable, Hashable {
    public var kind: TicketKind
    public var channel: Channel
    public var caller: String
    public var client: ClientRef
    public var title: String
    public var category: String
    public var service: String
    public var configurationItems: [String]
    public var impact: Impact
    public var urgency: Urgency
    /// A priority that overrides the matrix; it must be one the matrix can give.
    public var priorityOverride: Priority?

    public init(
        kind: TicketKind = .incident, channel: Channel, caller: String, client: ClientRef = ClientRef("internal"),
        title: String, category: String, service: String, configurationItems: [String] = [],
        impact: Impact = .medium, urgency: Urgency = .medium, priorityOverride: Priority? = nil
    ) {
        self.kind = kind
        self.channel = channel
        self.caller = caller
        self.client = client
        self.title = title
        self.category = category
        self.service = service
        self.configurationItems = configurationItems
        self.impact = impact
        self.urgency = urgency
        self.priorityOverride = priorityOverride
    }
}

/// A command on a ticket. ``TicketCommand/decide(_:state:number:context:)`` turns
/// it into events, or refuses it with a ``DeskError`` that says why.
public enum TicketCommand: Sendable, Hashable {
    case register(Registration)
    /// Changes category, service or configuration items (`nil` keeps the current value).
    case classify(category: String?, service: String?, configurationItems: [String]?, reason: String)
    /// New impact and urgency; the priority follows the matrix unless overridden.
    case reprioritise(impact: Impact, urgency: Urgency, priorityOverride: Priority?, reason: String)
    /// Assigns or reassigns to a group (and optionally an agent) on a line.
    case assign(group: String, line: SupportLine, department: Department?, agent: String?, reason: String)
    /// Functional escalation to a higher line or a specialist group, which takes the ticket.
    case escalate(toLine: SupportLine, group: String, department: Department?, reason: String)
    /// Hierarchical escalation: management informed; the ticket stays where it is.
    case notifyManagement(manager: String, reason: String)
    case startWork(agent: String)
    case suspend(SuspensionReason, note: String)
    case resume
    case comment(CommentVisibility, text: String)
    case logWork(agent: String, minutes: UInt32)
    case logContact(channel: Channel, inbound: Bool, handleSeconds: UInt32)
    /// Attaches the policy's targets for the ticket's kind and priority, with due
    /// times computed now, from the registration time, on the policy's calendar.
    case attachSLA(SLAPolicy)
    case resolve(code: String, kind: ResolutionKind, note: String)
    case reopen(reason: String)
    case close(code: String)
    case cancel(reason: String)
    case merge(into: String)
    case recordSatisfaction(score: UInt8, comment: String)
    case link(LinkKind, target: String)
    case unlink(LinkKind, target: String)

    /// A short name for messages.
    public var name: String {
        switch self {
        case .register: "register"
        case .classify: "classify"
        case .reprioritise: "reprioritise"
        case .assign: "assign"
        case .escalate: "escalate"
        case .notifyManagement: "notify management about"
        case .startWork: "start work on"
        case .suspend: "suspend"
        case .resume: "resume"
        case .comment: "comment on"
        case .logWork: "log work on"
        case .logContact: "log a contact on"
        case .attachSLA: "attach an SLA to"
        case .resolve: "resolve"
        case .reopen: "reopen"
        case .close: "close"
        case .cancel: "cancel"
        case .merge: "merge"
        case .recordSatisfaction: "record satisfaction for"
        case .link: "link"
        case .unlink: "unlink"
        }
    }
}

/// What a decision may depend on besides the ticket: the priority matrix and the
/// moment the command takes effect.
public struct DecisionContext: Sendable, Hashable {
    public var matrix: PriorityMatrix
    public var now: Timestamp

    public init(matrix: PriorityMatrix = .itil, now: Timestamp) {
        self.matrix = matrix
        self.now = now
    }
}

extension TicketCommand {
    /// The events that carry out `command` on `state`, or a typed error; pure.
    ///
    /// - Parameters:
    ///   - command: what to do.
    ///   - state: the ticket as `evolve` made it, `nil` when its stream is empty.
    ///   - number: the ticket number (its stream id).
    ///   - context: the priority matrix and the moment the command takes effect.
    public static func decide(_ command: TicketCommand, state: Ticket?, number: String, context: DecisionContext) throws(DeskError) -> [TicketEvent] {
        func refuse(_ why: String) -> DeskError {
            DeskError(.invalidTransition, "cannot \(command.name) \(number): \(why)")
        }
        func invalid(_ why: String) -> DeskError {
            DeskError(.invalidArgument, "cannot \(command.name) \(number): \(why)")
        }
        func checkPriority(_ priority: Priority?) throws(DeskError) {
            if let priority, !context.matrix.priorities.contains(priority) {
                throw invalid("priority \(priority) is outside the matrix (version \(context.matrix.version): \(context.matrix.priorities.lowerBound)...\(context.matrix.priorities.upperBound))")
            }
        }

        if case .register(let r) = command {
            guard state == nil else { throw refuse("it is registered already") }
            try checkPriority(r.priorityOverride)
            guard !r.title.isEmpty else { throw invalid("the title is empty") }
            return [.registered(.init(
                number: number, kind: r.kind, channel: r.channel, caller: r.caller, client: r.client, title: r.title,
                category: r.category, service: r.service, configurationItems: r.configurationItems, impact: r.impact,
                urgency: r.urgency, priority: r.priorityOverride ?? context.matrix.priority(impact: r.impact, urgency: r.urgency),
                matrixVersion: context.matrix.version))]
        }
        guard let ticket = state else {
            throw DeskError(.notFound, "cannot \(command.name) \(number): no such ticket")
        }
        func requireOpen() throws(DeskError) {
            switch ticket.status {
            case .new, .assigned, .inProgress, .suspended: return
            case .resolved: throw refuse("it is resolved; reopen it first")
            case .closed, .cancelled, .merged: throw refuse("it is \(ticket.status), which is final")
            }
        }
        func requireNotFinal() throws(DeskError) {
            if ticket.status.isFinal { throw refuse("it is \(ticket.status), which is final") }
        }

        switch command {
        case .register:
            preconditionFailure("handled above")
        case .classify(let category, let service, let items, let reason):
            try requireNotFinal()
            let newCategory = category ?? ticket.category
            let newService = service ?? ticket.service
            let newItems = items ?? ticket.configurationItems
            guard newCategory != ticket.category || newService != ticket.service || newItems != ticket.configurationItems else {
                throw invalid("nothing changes")
            }
            return [.classified(.init(
                oldCategory: ticket.category, newCategory: newCategory, oldService: ticket.service, newService: newService,
                oldConfigurationItems: ticket.configurationItems, newConfigurationItems: newItems, reason: reason))]
        case .reprioritise(let impact, let urgency, let override, let reason):
            try requireNotFinal()
            try checkPriority(override)
            let priority = override ?? context.matrix.priority(impact: impact, urgency: urgency)
            guard impact != ticket.impact || urgency != ticket.urgency || priority != ticket.priority else {
                throw invalid("impact, urgency and priority are already \(impact), \(urgency), \(priority)")
            }
            return [.reprioritised(.init(
                oldImpact: ticket.impact, newImpact: impact, oldUrgency: ticket.urgency, newUrgency: urgency,
                oldPriority: ticket.priority, newPriority: priority, matrixVersion: context.matrix.version, reason: reason))]
        case .assign(let group, let line, let department, let agent, let reason):
            try requireOpen()
            guard !group.isEmpty else { throw invalid("the group is empty") }
            guard group != ticket.group || agent != ticket.agent || line != ticket.line else {
                throw invalid("it is already with \(group)\(agent.map { " (\($0))" } ?? "")")
            }
            return [.assigned(.init(group: group, line: line, department: department, agent: agent, reason: reason))]
        case .escalate(let toLine, let group, let department, let reason):
            try requireOpen()
            guard toLine != ticket.line else { throw refuse("it is already on the \(toLine)") }
            guard toLine > ticket.line else { throw refuse("the \(toLine) is below the \(ticket.line); reassign it instead") }
            return [.escalated(.init(kind: .functional, fromLine: ticket.line, toLine: toLine, to: group, department: department, reason: reason))]
        case .notifyManagement(let manager, let reason):
            try requireOpen()
            return [.escalated(.init(kind: .hierarchical, fromLine: ticket.line, toLine: ticket.line, to: manager, reason: reason))]
        case .startWork(let agent):
            switch ticket.status {
            case .new, .assigned: return [.workStarted(agent: agent)]
            case .inProgress where ticket.agent != agent: return [.workStarted(agent: agent)]
            case .inProgress: throw refuse("\(agent) is already working on it")
            case .suspended: throw refuse("it is suspended; resume it first")
            default: try requireOpen(); return []
            }
        case .suspend(let reason, let note):
            guard ticket.status == .assigned || ticket.status == .inProgress else {
                throw ticket.status == .suspended ? refuse("it is suspended already") : (ticket.status == .new ? refuse("it is not assigned yet") : refuse("it is \(ticket.status)"))
            }
            return [.suspended(reason: reason, note: note)]
        case .resume:
            guard ticket.status == .suspended else { throw refuse("it is not suspended") }
            return [.resumed]
        case .comment(let visibility, let text):
            try requireNotFinal()
            guard !text.isEmpty else { throw invalid("the comment is empty") }
            return [.commentAdded(visibility: visibility, text: text)]
        case .logWork(let agent, let minutes):
            try requireNotFinal()
            guard minutes > 0 else { throw invalid("no minutes to log") }
            return [.workLogged(agent: agent, minutes: minutes)]
        case .logContact(let channel, let inbound, let handleSeconds):
            try requireNotFinal()
            return [.contactLogged(channel: channel, inbound: inbound, handleSeconds: handleSeconds)]
        case .attachSLA(let policy):
            try requireOpen()
            guard let target = policy.target(kind: ticket.kind, priority: ticket.priority) else {
                throw invalid("policy \(policy.name) has no target for a priority \(ticket.priority) \(ticket.kind)")
            }
            return [.slaAttached(.init(
                policy: policy.name, calendar: policy.calendar.name,
                responseTargetSeconds: target.responseSeconds, resolutionTargetSeconds: target.resolutionSeconds,
                responseDue: policy.calendar.adding(businessSeconds: target.responseSeconds, to: ticket.registeredAt),
                resolutionDue: policy.calendar.adding(businessSeconds: target.resolutionSeconds, to: ticket.registeredAt)))]
        case .resolve(let code, let kind, let note):
            try requireOpen()
            return [.resolved(.init(code: code, line: ticket.line, kind: kind, note: note))]
        case .reopen(let reason):
            switch ticket.status {
            case .resolved: return [.reopened(reason: reason)]
            case .closed, .cancelled, .merged: throw refuse("it is \(ticket.status), which is final")
            default: throw refuse(ticket.resolutionCount == 0 ? "it was never resolved" : "it is open (\(ticket.status))")
            }
        case .close(let code):
            guard ticket.status == .resolved else {
                throw ticket.status.isFinal ? refuse("it is \(ticket.status) already") : refuse("it is not resolved (\(ticket.status))")
            }
            return [.closed(code: code)]
        case .cancel(let reason):
            try requireOpen()
            return [.cancelled(reason: reason)]
        case .merge(let target):
            try requireOpen()
            guard target != number else { throw invalid("a ticket cannot be merged into itself") }
            return [.merged(into: target)]
        case .recordSatisfaction(let score, let comment):
            guard ticket.status == .resolved || ticket.status == .closed else {
                throw refuse(ticket.resolutionCount == 0 ? "it is not resolved yet" : "it is \(ticket.status)")
            }
            guard (1...5).contains(score) else { throw invalid("the score \(score) is outside 1...5") }
            guard ticket.satisfactionScore == nil else { throw refuse("satisfaction is recorded already") }
            return [.satisfactionRecorded(score: score, comment: comment)]
        case .link(let kind, let target):
            guard ticket.status != .merged else { throw refuse("it is merged") }
            guard !ticket.links.contains(.init(kind: kind, target: target)) else { throw invalid("it is linked to \(target) already") }
            guard target != number else { throw invalid("a ticket cannot be linked to itself") }
            return [.linked(kind: kind, target: target)]
        case .unlink(let kind, let target):
            guard ticket.links.contains(.init(kind: kind, target: target)) else { throw invalid("it is not linked to \(target)") }
            return [.unlinked(kind: kind, target: target)]
        }
    }
}

/// A command on a problem record.
public enum ProblemCommand: Sendable, Hashable {
    case open(title: String, category: String, service: String, configurationItems: [String])
    case recordRootCause(description: String, configurationItem: String?)
    case recordKnownError(description: String, workaround: String)
    case close(resolution: String)

    /// The events that carry out `command` on `state`, or a typed error; pure.
    public static func decide(_ command: ProblemCommand, state: Problem?, number: String) throws(DeskError) -> [TicketEvent] {
        if case .open(let title, let category, let service, let items) = command {
            guard state == nil else { throw DeskError(.invalidTransition, "cannot open \(number): it is open already") }
            return [.problemOpened(.init(number: number, title: title, category: category, service: service, configurationItems: items))]
        }
        guard let problem = state else { throw DeskError(.notFound, "no problem \(number)") }
        guard problem.status != .closed else { throw DeskError(.invalidTransition, "problem \(number) is closed") }
        switch command {
        case .open: preconditionFailure("handled above")
        case .recordRootCause(let description, let item): return [.rootCauseFound(description: description, configurationItem: item)]
        case .recordKnownError(let description, let workaround): return [.knownErrorRecorded(description: description, workaround: workaround)]
        case .close(let resolution): return [.problemClosed(resolution: resolution)]
        }
    }
}
