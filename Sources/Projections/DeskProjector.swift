import DequeModule
public import EventLog
import HeapModule
public import TicketLedger

/// The standard projections of a desk, fed by one pass over the log: the
/// tickets that are open (or recently closed), their SLA clocks, the queues,
/// the KPI aggregates and the inflow / outflow per period.
///
/// A value type: copy it to keep a moment, encode it as a snapshot. It reads
/// time only from events (and an explicit `now` for ageing), never from the
/// wall clock, so replaying the same log gives the same result to the byte.
/// Memory grows with open tickets and groups, not with events: closed tickets
/// leave after ``ProjectionOptions/closedRetentionDays``, keeping a few dozen
/// bytes each so that a late event finds them as they left.
public struct DeskProjector: Sendable {
    /// Bumped whenever the state's meaning or layout changes: snapshots of
    /// another version are ignored, never misread.
    public static let version = 5

    /// The ticket attribute holding an SLA outcome recorded by the source system
    /// (`true` or `false`), as imports of status snapshots write it.
    public static let recordedSLAAttribute = "sla.made"

    /// What it computes.
    public let options: ProjectionOptions
    /// The last position applied (or passed over as later than the as-of time).
    public private(set) var position: UInt64 = 0
    /// The last position whose event is not later than the as-of time: where
    /// the figures stand (``position`` goes on past later events it passes over).
    public private(set) var appliedPosition: UInt64 = 0
    /// The latest `occurredAt` applied.
    public private(set) var lastEventTime: Timestamp?
    /// Events of types this library does not know, passed over.
    public private(set) var unknownEvents = 0
    /// Events left out because they occurred after the as-of time.
    public private(set) var eventsAfterAsOf = 0
    /// Assignments and escalations applied (every ticket, every time): none
    /// means the log does not record handovers, so first-contact and first-line
    /// resolution, escalation, reassignment and ping-pong cannot be judged.
    public private(set) var handoverEvents = 0

    var tickets: [String: Tracked] = [:]
    var problems: [String: Problem] = [:]
    var retired: Deque<Retired> = []
    var departed: [String: Departed] = [:]
    var dues: Heap<Due> = []
    var total = KPIAggregate()
    var groups: [String: KPIAggregate] = [:]
    var flows: [Int64: Flow] = [:]
    var areaState: AreaState?
    /// SLA breaches per group and period index, when ``ProjectionOptions/slaBreachMap`` is on.
    var breachMap: [String: [Int64: BreachCell]]?

    /// One cell of the breach map: targets missed, and the first tickets that missed them.
    struct BreachCell: Codable, Equatable, Sendable {
        var breaches = 0
        var tickets: [String] = []

        /// Counts a missed target of `ticket`, naming it if the cell names fewer than ``SLABreachCell/ticketLimit``.
        mutating func add(_ ticket: String) {
            breaches += 1
            if tickets.count < SLABreachCell.ticketLimit, !tickets.contains(ticket) { tickets.append(ticket) }
        }
    }

    struct Tracked: Sendable, Codable {
        var ticket: Ticket
        var calendar: String?
        var response = Target()
        var resolution = Target()

        /// Stands in the dictionary while the real value is moved out.
        static let placeholder = Tracked(ticket: Ticket(number: "", at: Timestamp(microseconds: 0)))
    }

    /// What a handler needs of a ticket as it was before the event.
    struct Before {
        var status: TicketStatus
        var resolutionCount: Int
        var assignmentCount: Int
        var escalationCount: Int
        var firstResponseAt: Timestamp?
        var suspendedSince: Timestamp?

        init(_ ticket: Ticket) {
            status = ticket.status
            resolutionCount = ticket.resolutionCount
            assignmentCount = ticket.assignmentCount
            escalationCount = ticket.escalationCount
            firstResponseAt = ticket.firstResponseAt
            suspendedSince = ticket.suspendedSince
        }
    }

    /// One SLA target's clock.
    struct Target: Sendable, Codable, Hashable {
        enum State: UInt8, Codable, Sendable { case none, pending, met, breached }
        var state = State.none
        /// The due time, moved later by suspensions.
        var due = Timestamp(microseconds: 0)
        var targetSeconds: Int64 = 0
        /// When it was met or breached.
        var decidedAt: Timestamp?
    }

    /// What stays of a closed ticket that left memory: enough that a late event
    /// neither opens it again as new nor counts its first resolution twice.
    /// Every closed ticket stays as one (the widest fields first: 20 bytes,
    /// 24 with padding, in place of 32).
    struct Departed: Sendable, Codable {
        var registeredAt: Timestamp
        var assignmentCount: Int32
        var escalationCount: Int32
        var status: TicketStatus
        var line: SupportLine
        var wasResolved: Bool
        var wasReopened: Bool

        /// The order snapshots have always written them in.
        enum CodingKeys: CodingKey { case status, registeredAt, line, wasResolved, wasReopened, assignmentCount, escalationCount }

        init(
            status: TicketStatus, registeredAt: Timestamp, line: SupportLine, wasResolved: Bool, wasReopened: Bool,
            assignmentCount: Int32, escalationCount: Int32
        ) {
            self.status = status
            self.registeredAt = registeredAt
            self.line = line
            self.wasResolved = wasResolved
            self.wasReopened = wasReopened
            self.assignmentCount = assignmentCount
            self.escalationCount = escalationCount
        }

        init(_ ticket: Ticket) {
            status = ticket.status
            registeredAt = ticket.registeredAt
            line = ticket.line
            wasResolved = ticket.resolutionCount > 0
            wasReopened = ticket.reopenCount > 0
            assignmentCount = Int32(clamping: ticket.assignmentCount)
            escalationCount = Int32(clamping: ticket.escalationCount)
        }

        /// Sets what is kept on a ticket rebuilt for a late event.
        func restore(_ ticket: inout Ticket, version: UInt64, at time: Timestamp) {
            ticket.version = version
            ticket.status = status
            ticket.registeredAt = registeredAt
            ticket.line = line
            ticket.resolutionCount = wasResolved ? 1 : 0
            ticket.reopenCount = wasReopened ? 1 : 0
            ticket.assignmentCount = Int(assignmentCount)
            ticket.escalationCount = Int(escalationCount)
            ticket.firstResponseAt = time
        }
    }

    struct Retired: Sendable, Codable {
        var at: Timestamp
        var number: String
    }

    struct Due: Sendable, Codable, Comparable {
        var at: Timestamp
        var number: String
        var isResponse: Bool
        static func < (lhs: Due, rhs: Due) -> Bool { (lhs.at, lhs.number, lhs.isResponse ? 0 : 1) < (rhs.at, rhs.number, rhs.isResponse ? 0 : 1) }
    }

    struct FlowEntry: Codable {
        var period: Int64
        var flow: Flow
    }

    struct Flow: Sendable, Codable, Equatable {
        var inflow = 0
        var outflow = 0
    }

    /// An empty projector; feed it events in log order.
    public init(options: ProjectionOptions = .init()) {
        self.options = options
        if options.problemAreas != nil { areaState = AreaState() }
        if options.slaBreachMap == true { breachMap = [:] }
    }

    // MARK: - Applying events

    /// Applies a record read in place (the replay's fast path).
    public mutating func apply(_ record: RecordView) throws(DeskError) {
        let position = record.position
        let occurredAt = record.occurredAt
        if let asOf = options.asOf, occurredAt > asOf {
            self.position = position
            eventsAfterAsOf += 1
            return
        }
        guard let event = try TicketEventCodec.decode(record) else {
            self.position = position
            appliedPosition = position
            unknownEvents += 1
            return
        }
        apply(event, streamID: record.streamID, streamVersion: record.streamVersion, occurredAt: occurredAt, position: position)
    }

    /// Applies an event read by a subscription.
    public mutating func apply(_ recorded: RecordedEvent) throws(DeskError) {
        if let asOf = options.asOf, recorded.event.occurredAt > asOf {
            position = recorded.position
            eventsAfterAsOf += 1
            return
        }
        guard let event = try TicketEventCodec.decode(recorded) else {
            position = recorded.position
            appliedPosition = recorded.position
            unknownEvents += 1
            return
        }
        apply(
            event, streamID: recorded.streamID, streamVersion: recorded.streamVersion, occurredAt: recorded.event.occurredAt,
            position: recorded.position)
    }

    /// Applies one decoded event. A ticket opens at its stream's first event,
    /// whatever it is: a registration or, in an imported log that has none, the
    /// first thing recorded (``KPIValues/openedWithoutRegistration`` counts those).
    mutating func apply(_ event: DeskEvent, streamID: String, streamVersion: UInt64, occurredAt time: Timestamp, position: UInt64) {
        self.position = position
        appliedPosition = position
        // The desk's metadata (`desk init` stamps the present) says nothing of the desk's time.
        if event.body.isLedgerMetadata {
            return
        }
        lastEventTime = max(lastEventTime ?? time, time)
        switch event.body {
        case .assigned, .escalated: handoverEvents += 1
        default: break
        }
        expireDues(before: time)
        switch event.body {
        case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed:
            let problem = Problem.evolve(problems[streamID], streamID: streamID, event: event, occurredAt: time)
            problems[streamID] = problem
            if let analysis = options.problemAreas {
                let keys: [String] = switch analysis.dimension {
                case .ci: problem.configurationItems
                case .service: [problem.service]
                case .category: [problem.category]
                default: []
                }
                for key in keys where !key.isEmpty { areaState?.covered[key] = true }
            }
            return
        default:
            break
        }
        // Move the tracked ticket out of the dictionary (a swap, not a copy), change
        // it in place, and move it back: copying a ticket costs a retain per field.
        let index = tickets.index(forKey: streamID)
        let isNew = index == nil
        // A ticket that closed and left memory (closedRetentionDays) has a late
        // event: it comes back as it left, neither registered nor first-resolved again.
        let returning = isNew ? departed.removeValue(forKey: streamID) : nil
        let opens = isNew && returning == nil
        var tracked = isNew ? Tracked(ticket: Ticket(number: streamID, at: time)) : Tracked.placeholder
        if let index { swap(&tracked, &tickets.values[index]) }
        returning?.restore(&tracked.ticket, version: streamVersion - 1, at: time)
        let before = Before(tracked.ticket)
        tracked.ticket.apply(event, occurredAt: time)
        let key = options.groupBy.map { $0.key(of: tracked.ticket) }

        var isRegistration = false
        if case .registered = event.body { isRegistration = true }
        if opens {
            count(at: time, key: key) {
                $0.registered += 1
                if !isRegistration { $0.openedWithoutRegistration += 1 }
                if tracked.ticket.priority == 0, tracked.ticket.attributes["priority"] == nil { $0.priorityNotStated += 1 }
            }
            flow(at: time) { $0.inflow += 1 }
        } else if isRegistration {
            count(at: time, key: key) { $0.repeatedRegistrations += 1 }
        }

        switch event.body {
        case .escalated(let escalation) where escalation.kind == .functional && before.escalationCount == 0:
            updateArea(tracked.ticket) { $0.escalated += 1 }
        case .linked(let kind, _) where kind == .problem || kind == .knownError:
            if let analysis = options.problemAreas { areaState?.covered[analysis.dimension.key(of: tracked.ticket)] = true }
        case .slaAttached(let sla):
            tracked.calendar = sla.calendar
            if tracked.ticket.firstResponseAt == nil {
                tracked.response = Target(state: .pending, due: sla.responseDue, targetSeconds: sla.responseTargetSeconds)
                dues.insert(Due(at: sla.responseDue, number: streamID, isResponse: true))
            }
            if tracked.ticket.resolutionCount == 0 {
                tracked.resolution = Target(state: .pending, due: sla.resolutionDue, targetSeconds: sla.resolutionTargetSeconds)
                dues.insert(Due(at: sla.resolutionDue, number: streamID, isResponse: false))
            }
        case .resumed:
            // The SLA clock stood still while suspended: move pending due times on.
            if let since = before.suspendedSince {
                let calendar = calendar(named: tracked.calendar)
                for isResponse in [true, false] {
                    var target = isResponse ? tracked.response : tracked.resolution
                    guard target.state == .pending else { continue }
                    let remaining = target.due > since ? calendar.businessSeconds(from: since, to: target.due) : 0
                    target.due = calendar.adding(businessSeconds: remaining, to: time)
                    dues.insert(Due(at: target.due, number: streamID, isResponse: isResponse))
                    if isResponse { tracked.response = target } else { tracked.resolution = target }
                }
            }
        case .resolved:
            count(at: time, key: key) { $0.resolved += 1 }
            flow(at: time) { $0.outflow += 1 }
            if before.resolutionCount == 0 {
                let seconds = (time.microseconds - tracked.ticket.registeredAt.microseconds) / 1_000_000
                let firstContact = before.assignmentCount == 0 && before.escalationCount == 0 && tracked.ticket.line == .firstLine
                let firstLine = before.escalationCount == 0 && tracked.ticket.line == .firstLine
                count(at: time, key: key) {
                    $0.firstResolutions += 1
                    $0.resolveSecondsTotal += seconds
                    $0.resolveSeconds.record(seconds)
                    if firstContact { $0.firstContactResolutions += 1 }
                    if firstLine { $0.firstLineResolutions += 1 }
                    if tracked.ticket.escalationCount > 0 { $0.escalatedBeforeResolution += 1 }
                    if tracked.ticket.assignmentCount > 1 { $0.reassignedBeforeResolution += 1 }
                    if tracked.ticket.hasPingPong { $0.pingPongBeforeResolution += 1 }
                }
                decide(&tracked.resolution, met: time <= tracked.resolution.due, at: time, key: key, isResponse: false, ticket: tracked.ticket)
                updateArea(tracked.ticket) {
                    $0.restored += 1
                    $0.restoreSecondsTotal += seconds
                }
            }
        case .reopened:
            let first = tracked.ticket.reopenCount == 1
            count(at: time, key: key) {
                $0.reopened += 1
                if first { $0.reopenedTickets += 1 }
            }
            flow(at: time) { $0.inflow += 1 }
        case .closed:
            // The SLA outcome the source system recorded (an import's `sla.made`), kept beside the derived one.
            let recorded = tracked.ticket.attributes[Self.recordedSLAAttribute]
            count(at: time, key: key) {
                $0.closed += 1
                if recorded == "true" { $0.recordedSLAMet += 1 } else if recorded == "false" { $0.recordedSLAMissed += 1 }
            }
        case .cancelled:
            count(at: time, key: key) { $0.cancelled += 1 }
            flow(at: time) { $0.outflow += 1 }
        case .merged:
            flow(at: time) { $0.outflow += 1 }
        case .satisfactionRecorded(let score, _):
            count(at: time, key: key) {
                $0.satisfactionCount += 1
                $0.satisfactionTotal += Int(score)
                if (1...5).contains(score) { $0.satisfactionScores[Int(score) - 1] += 1 }
            }
        default:
            break
        }
        // A resolved or closed ticket that an event other than a reopening opens (or
        // resolves) again was reopened: imported logs often record no reopening.
        var isReopening = false, isResolution = false
        switch event.body {
        case .reopened: isReopening = true
        case .resolved: isResolution = true
        default: break
        }
        if !isReopening, before.status == .resolved || before.status == .closed, tracked.ticket.status.isOpen || isResolution {
            tracked.ticket.reopenCount += 1
            let first = tracked.ticket.reopenCount == 1
            count(at: time, key: key) {
                $0.reopened += 1
                $0.impliedReopenings += 1
                if first { $0.reopenedTickets += 1 }
            }
            flow(at: time) { $0.inflow += 1 }
        }
        // An incident counts for problem areas from its stream's first event
        // (its registration, or whatever an imported log starts with).
        if opens, let analysis = options.problemAreas {
            areaState?.registered(tracked.ticket, at: time, options: analysis, inWindow: options.inWindow(time))
        }
        // The first response (or a resolution before any response) meets or misses the response target.
        if before.firstResponseAt == nil, tracked.ticket.firstResponseAt != nil || tracked.ticket.resolutionCount > 0 {
            let at = tracked.ticket.firstResponseAt ?? time
            let seconds = (at.microseconds - tracked.ticket.registeredAt.microseconds) / 1_000_000
            count(at: time, key: key) {
                $0.responses += 1
                $0.responseSecondsTotal += seconds
                $0.responseSeconds.record(seconds)
            }
            decide(&tracked.response, met: at <= tracked.response.due, at: time, key: key, isResponse: true, ticket: tracked.ticket)
        }
        if tracked.ticket.status.isFinal, !before.status.isFinal || isNew {
            retired.append(Retired(at: time, number: streamID))
        }
        if let index { swap(&tracked, &tickets.values[index]) } else { tickets[streamID] = tracked }
        retire(before: time)
    }

    private mutating func updateArea(_ ticket: Ticket, _ change: (inout AreaAggregate) -> Void) {
        if let analysis = options.problemAreas { areaState?.update(ticket, options: analysis, change) }
    }

    private mutating func decide(_ target: inout Target, met: Bool, at time: Timestamp, key: String?, isResponse: Bool, ticket: Ticket) {
        guard target.state == .pending else { return }
        if !met { updateArea(ticket) { $0.slaBreaches += 1 } }
        target.state = met ? .met : .breached
        target.decidedAt = met ? time : target.due
        if !met, breachMap != nil, options.inWindow(target.decidedAt!) {
            let period = options.period.period(of: target.decidedAt!).index
            breachMap?[ticket.group ?? "(no group)", default: [:]][period, default: BreachCell()].add(ticket.number)
        }
        count(at: target.decidedAt!, key: key) {
            switch (isResponse, met) {
            case (true, true): $0.responseMet += 1
            case (true, false): $0.responseBreached += 1
            case (false, true): $0.resolutionMet += 1
            case (false, false): $0.resolutionBreached += 1
            }
        }
    }

    /// Marks every pending target due before `time` (and not suspended) as breached at its due time.
    mutating func expireDues(before time: Timestamp) {
        while let next = dues.min, next.at < time {
            dues.removeMin()
            guard let index = tickets.index(forKey: next.number), tickets.values[index].ticket.status.isOpen,
                tickets.values[index].ticket.suspendedSince == nil
            else { continue }
            var target = next.isResponse ? tickets.values[index].response : tickets.values[index].resolution
            guard target.state == .pending, target.due == next.at else { continue }
            let ticket = tickets.values[index].ticket
            decide(&target, met: false, at: next.at, key: options.groupBy.map { $0.key(of: ticket) }, isResponse: next.isResponse, ticket: ticket)
            if next.isResponse { tickets.values[index].response = target } else { tickets.values[index].resolution = target }
        }
    }

    /// Lets closed tickets leave memory after the retention period.
    private mutating func retire(before time: Timestamp) {
        let horizon = time.microseconds - Int64(options.closedRetentionDays) * 86_400_000_000
        while let oldest = retired.first, oldest.at.microseconds < horizon {
            retired.removeFirst()
            if let index = tickets.index(forKey: oldest.number), tickets.values[index].ticket.status.isFinal {
                let ticket = tickets.values[index].ticket
                departed[oldest.number] = Departed(ticket)
                tickets.remove(at: index)
            }
        }
    }

    private mutating func count(at time: Timestamp, key: String?, _ change: (inout KPIAggregate) -> Void) {
        guard options.inWindow(time) else { return }
        change(&total)
        if let key { change(&groups[key, default: KPIAggregate()]) }
    }

    private mutating func flow(at time: Timestamp, _ change: (inout Flow) -> Void) {
        guard options.inWindow(time) else { return }
        change(&flows[options.period.period(of: time).index, default: Flow()])
    }

    func calendar(named name: String?) -> BusinessCalendar {
        name.flatMap { options.calendars[$0] } ?? .always
    }

    // MARK: - Reading

    /// The moment ageing and breaches are computed at: `now` if given, else the
    /// as-of time, else the last event's time.
    func moment(_ now: Timestamp?) -> Timestamp {
        now ?? options.asOf ?? lastEventTime ?? Timestamp(microseconds: 0)
    }

    /// The ticket's current state, if it is open or recently closed.
    public func ticket(_ number: String) -> Ticket? { tickets[number]?.ticket }

    /// Every tracked problem record.
    public var problemRecords: [Problem] { problems.values.sorted { $0.number < $1.number } }

    /// Open tickets (new, assigned, in progress, suspended), by number.
    public var openTickets: [Ticket] {
        tickets.values.map(\.ticket).filter(\.status.isOpen).sorted { $0.number < $1.number }
    }

    /// SLA breaches (response and resolution targets) per group (the ticket's group
    /// when the target was missed, `(no group)` before any) and period of the window,
    /// by group then period; empty unless ``ProjectionOptions/slaBreachMap`` is on.
    public func slaBreachMap() -> [SLABreachCell] {
        guard let breachMap else { return [] }
        return breachMap.sorted { $0.key < $1.key }.flatMap { group, periods in
            periods.sorted { $0.key < $1.key }.map { period, cell in
                SLABreachCell(group: group, start: DeskProjector.periodStart(period, options.period), breaches: cell.breaches, tickets: cell.tickets)
            }
        }
    }

    /// How many tickets are held in memory (open, resolved, recently closed).
    public var trackedTicketCount: Int { tickets.count }
}

extension DeskProjector: Codable {
    enum CodingKeys: String, CodingKey {
        case options, position, appliedPosition, lastEventTime, unknownEvents, eventsAfterAsOf, handoverEvents, tickets, problems, retired, departed, dues, total, groups, flows, areaState, breachMap
    }

    /// One cell of the breach map, as snapshots store it.
    struct BreachEntry: Codable {
        var group: String
        var period: Int64
        var cell: BreachCell
    }

    /// Restores a snapshot.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(options: try c.decode(ProjectionOptions.self, forKey: .options))
        position = try c.decode(UInt64.self, forKey: .position)
        appliedPosition = try c.decodeIfPresent(UInt64.self, forKey: .appliedPosition) ?? position
        lastEventTime = try c.decodeIfPresent(Timestamp.self, forKey: .lastEventTime)
        unknownEvents = try c.decode(Int.self, forKey: .unknownEvents)
        eventsAfterAsOf = try c.decode(Int.self, forKey: .eventsAfterAsOf)
        handoverEvents = try c.decode(Int.self, forKey: .handoverEvents)
        // A snapshot (``snapshotData()``) keeps them apart.
        tickets = try c.decodeIfPresent([String: Tracked].self, forKey: .tickets) ?? [:]
        problems = try c.decode([String: Problem].self, forKey: .problems)
        retired = try c.decode(Deque<Retired>.self, forKey: .retired)
        departed = try c.decodeIfPresent([String: Departed].self, forKey: .departed) ?? [:]
        dues = Heap(try c.decode([Due].self, forKey: .dues))
        total = try c.decode(KPIAggregate.self, forKey: .total)
        groups = try c.decode([String: KPIAggregate].self, forKey: .groups)
        flows = try Dictionary(c.decode([FlowEntry].self, forKey: .flows).map { ($0.period, $0.flow) }) { _, _ in
            throw DeskError(.invalidArgument, "a desk projector snapshot lists a period's flow twice")
        }
        areaState = try c.decodeIfPresent(AreaState.self, forKey: .areaState)
        if let entries = try c.decodeIfPresent([BreachEntry].self, forKey: .breachMap) {
            breachMap = [:]
            for entry in entries { breachMap![entry.group, default: [:]][entry.period] = entry.cell }
        }
    }

    /// Writes a snapshot (dictionaries as sorted lists, so equal states give equal bytes).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(options, forKey: .options)
        try c.encode(position, forKey: .position)
        try c.encode(appliedPosition, forKey: .appliedPosition)
        try c.encodeIfPresent(lastEventTime, forKey: .lastEventTime)
        try c.encode(unknownEvents, forKey: .unknownEvents)
        try c.encode(eventsAfterAsOf, forKey: .eventsAfterAsOf)
        try c.encode(handoverEvents, forKey: .handoverEvents)
        let apart = encoder.userInfo[Self.ticketsApart] as? Bool == true
        if !apart { try c.encode(tickets, forKey: .tickets) }
        try c.encode(problems, forKey: .problems)
        try c.encode(retired, forKey: .retired)
        if !apart { try c.encode(departed, forKey: .departed) }
        try c.encode(Array(dues.unordered).sorted(), forKey: .dues)
        try c.encode(total, forKey: .total)
        try c.encode(groups, forKey: .groups)
        try c.encode(flows.keys.sorted().map { FlowEntry(period: $0, flow: flows[$0]!) }, forKey: .flows)
        try c.encodeIfPresent(areaState, forKey: .areaState)
        try c.encodeIfPresent(
            breachMap.map { map in
                map.sorted { $0.key < $1.key }.flatMap { group, periods in
                    periods.sorted { $0.key < $1.key }.map { BreachEntry(group: group, period: $0.key, cell: $0.value) }
                }
            }, forKey: .breachMap)
    }
}


/// SLA breaches of one group in one period (``DeskProjector/slaBreachMap()``).
public struct SLABreachCell: Sendable, Hashable, Codable {
    /// The group that held the ticket when the target was missed.
    public var group: String
    /// The period's first moment.
    public var start: Timestamp
    /// Targets missed.
    public var breaches: Int
    /// The tickets that missed them, the first ``ticketLimit`` in the order they did.
    public var tickets: [String]

    /// The most tickets a cell names.
    public static let ticketLimit = 5
}
