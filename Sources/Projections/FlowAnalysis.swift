public import EventLog
import Foundation
public import TicketLedger

/// What ``FlowAnalysis`` looks at and how it judges.
///
/// The window is a cohort: the tickets whose first event lies in it, with
/// their events up to the window's end (the as-of moment).
public struct FlowOptions: Sendable, Hashable, Codable {
    /// The window's start (inclusive): tickets whose first event is earlier are left out; `nil`: from the first event.
    public var from: Timestamp?
    /// As of this moment: later events are left out, and so are tickets that begin later; `nil`: up to the last event.
    public var asOf: Timestamp?
    /// As of this position: the replay stops after it; `nil`: the whole log.
    public var asOfPosition: UInt64?
    /// The dimension push-to-front is broken down by.
    public var dimension: Grouping = .service
    /// The period of the push-to-front trend.
    public var period: Period = .week
    /// Variants kept in the report, most frequent first (0: every variant).
    public var variants = 20
    /// A ping-pong pair or a wait-user agent is flagged when, under a binomial
    /// law with the desk's own rate, a count at least as high has a probability
    /// below this (one-sided) ...
    public var flagPValue = 1e-6
    /// ... and the count is at least this.
    public var flagMinimumCount = 5
    /// A suspension counts as "shortly before the SLA due time" when at least
    /// this share of the resolution target has passed and the due time has not.
    public var slaWarningShare = 0.75

    /// Options with a window, a push-to-front dimension and a trend period.
    public init(from: Timestamp? = nil, asOf: Timestamp? = nil, asOfPosition: UInt64? = nil, dimension: Grouping = .service, period: Period = .week) {
        self.from = from
        self.asOf = asOf
        self.asOfPosition = asOfPosition
        self.dimension = dimension
        self.period = period
    }
}

/// The desk's process as the log shows it: the directly-follows graph and
/// variants (as process-mining tools compute them), handovers and ping-pong
/// between groups and lines, push to front, wait-user suspensions and
/// conformance to the reference process. Built in one pass over the log by
/// ``FlowAnalysis/run(_:options:progress:)``.
public struct FlowReport: Sendable, Hashable, Codable {
    /// An activity and how often it occurs.
    public struct Activity: Sendable, Hashable, Codable {
        /// Its name: an imported event's original activity, or the event type.
        public var name: String
        /// Events.
        public var events: Int
        /// Tickets with it.
        public var tickets: Int
        /// Tickets in which it occurs more than once (rework).
        public var reworkTickets: Int
    }

    /// A directly-follows edge: `to` came right after `from` within a ticket.
    public struct Edge: Sendable, Hashable, Codable {
        /// The earlier activity.
        public var from: String
        /// The activity right after it.
        public var to: String
        /// How often.
        public var count: Int
        /// The median time between the two events, in seconds.
        public var medianSeconds: Double?
        /// The 90th percentile of that time, in seconds.
        public var p90Seconds: Double?
    }

    /// A name and a count (start and end activities).
    public struct Count: Sendable, Hashable, Codable {
        /// The activity.
        public var name: String
        /// Tickets that start (end) with it.
        public var count: Int
    }

    /// A variant: one sequence of activities, and the tickets that follow it.
    public struct Variant: Sendable, Hashable, Codable {
        /// The activities, in order.
        public var activities: [String]
        /// Tickets that follow it.
        public var count: Int
        /// Its share of the window's tickets.
        public var share: Double
    }

    /// Handovers from one holder (group or line) to another.
    public struct Handover: Sendable, Hashable, Codable {
        /// The holder that handed the ticket over.
        public var from: String
        /// The holder that received it.
        public var to: String
        /// How often.
        public var count: Int
        /// The median time the ticket spent with `from` before the handover, in seconds.
        public var medianSecondsBefore: Double?
    }

    /// Ping-pong between two groups (or lines).
    public struct PingPong: Sendable, Hashable, Codable {
        /// The pair's first, in name order.
        public var a: String
        /// The pair's second.
        public var b: String
        /// Tickets with at least one return between the two.
        public var tickets: Int
        /// Handovers between them that were not themselves returns (the chances to ping-pong).
        public var handovers: Int
        /// Handovers sent straight back (A→B→A).
        public var returns: Int
        /// Handovers to a group the ticket held before, other than straight back
        /// (A→B→C→A counts for C and A; A→B→A→B counts the last A→B).
        public var laterReturns: Int
        /// `returns / handovers`.
        public var rate: Double
        /// P(returns at least this high) under a binomial law with the desk's rate.
        public var pValue: Double
        /// Flagged by the test (``FlowReport/test``).
        public var flagged: Bool
    }

    /// Resolution time of tickets by how often they were handed over.
    public struct HandoverBucket: Sendable, Hashable, Codable {
        /// Handovers (the last bucket holds this many or more).
        public var handovers: Int
        /// Whether this is the open-ended last bucket.
        public var orMore: Bool
        /// Tickets handed over this many times.
        public var tickets: Int
        /// Those resolved at least once.
        public var resolved: Int
        /// The median time from their first event to their first resolution, in seconds.
        public var medianResolveSeconds: Double?
        /// The 90th percentile of that time, in seconds.
        public var p90ResolveSeconds: Double?
    }

    /// Handovers, ping-pong and their effect on resolution time.
    public struct Handovers: Sendable, Hashable, Codable {
        /// Between groups, most frequent first.
        public var groups: [Handover]
        /// Between support lines, most frequent first.
        public var lines: [Handover]
        /// Ping-pong between groups, flagged first, then most returns.
        public var groupPingPong: [PingPong]
        /// Ping-pong between lines.
        public var linePingPong: [PingPong]
        /// Tickets that returned to a group they had left.
        public var pingPongTickets: Int
        /// `pingPongTickets` over the window's tickets.
        public var pingPongRate: Double?
        /// The desk's rate of returned handovers between groups (the test's null rate).
        public var returnRate: Double?
        /// Resolution time by handovers.
        public var byHandoverCount: [HandoverBucket]
    }

    /// Push to front for one key of the dimension, or one period.
    public struct FrontShare: Sendable, Hashable, Codable {
        /// The dimension's key, or the period's first moment.
        public var key: String
        /// Tickets.
        public var tickets: Int
        /// Those resolved at least once.
        public var resolved: Int
        /// Resolved without leaving the first line, over resolved.
        public var firstLineShare: Double?
        /// Tickets the second line held, over tickets.
        public var secondLineShare: Double?
        /// Tickets a specialist group held, over tickets.
        public var specialistShare: Double?
    }

    /// Are incidents solved in the first line?
    public struct PushToFront: Sendable, Hashable, Codable {
        /// What ``byKey`` is keyed by.
        public var dimension: Grouping
        /// The period of ``trend``.
        public var period: Period
        /// Every ticket of the window.
        public var total: FrontShare
        /// Most tickets first.
        public var byKey: [FrontShare]
        /// By the period the tickets began in; the last one may be partial.
        public var trend: [FrontShare]
    }

    /// Wait-user (awaiting the caller) suspensions of one agent or group.
    public struct WaitUser: Sendable, Hashable, Codable {
        /// The agent or the group.
        public var key: String
        /// The support line the agent mostly works on (peers are compared within it).
        public var line: String?
        /// Tickets worked on.
        public var tickets: Int
        /// Tickets with a wait-user suspension.
        public var waitTickets: Int
        /// Wait-user suspensions.
        public var suspensions: Int
        /// `waitTickets / tickets`.
        public var share: Double
        /// Time awaiting the caller over the life of the tickets worked on.
        public var timeShare: Double?
        /// Suspensions when the resolution target was nearly consumed.
        public var nearSLADue: Int
        /// P(waitTickets at least this high) under a binomial law with the line's rate.
        public var pValue: Double
        /// Flagged by the test (``FlowReport/test``).
        public var flagged: Bool
    }

    /// A deviation from the reference process and how many tickets show it.
    public struct Deviation: Sendable, Hashable, Codable {
        /// The deviation, in words.
        public var deviation: String
        /// Tickets that show it.
        public var tickets: Int
    }

    /// Conformance to register → classify → assign → escalate* → resolve → close, with reopen loops.
    public struct Conformance: Sendable, Hashable, Codable {
        /// Ended tickets judged (closed, cancelled or merged); open ones are not judged.
        public var judged: Int
        /// Judged tickets without a deviation.
        public var conforming: Int
        /// `conforming / judged`.
        public var rate: Double?
        /// Tickets still open, not judged.
        public var open: Int
        /// Most frequent first.
        public var deviations: [Deviation]
        /// The reference, in words.
        public var reference: String
    }

    /// The window's start (`nil`: the first event).
    public var from: Timestamp?
    /// The window's end: the as-of moment, or the last event.
    public var to: Timestamp?
    /// Tickets in the window.
    public var tickets: Int
    /// Their events in the window.
    public var events: Int
    /// Every activity, most events first.
    public var activities: [Activity]
    /// Every directly-follows edge, most frequent first.
    public var edges: [Edge]
    /// First activities of the tickets, most frequent first.
    public var startActivities: [Count]
    /// Last activities of the tickets, most frequent first.
    public var endActivities: [Count]
    /// Distinct variants.
    public var variantCount: Int
    /// The most frequent variants (``FlowOptions/variants``).
    public var variants: [Variant]
    /// Tickets with an activity repeated.
    public var reworkTickets: Int
    /// `reworkTickets` over the window's tickets.
    public var reworkRate: Double?
    /// Handovers and ping-pong.
    public var handovers: Handovers
    /// `nil` when the log records no assignment or escalation (see ``notes``).
    public var pushToFront: PushToFront?
    /// Agents, flagged first, then by share.
    public var waitUserAgents: [WaitUser]
    /// Groups, by share.
    public var waitUserGroups: [WaitUser]
    /// Conformance to the reference process.
    public var conformance: Conformance
    /// Why a figure is empty or what it rests on.
    public var notes: [String]
    /// How ping-pong pairs and wait-user agents are flagged, in words.
    public var test: String
}

/// Builds a ``FlowReport`` in one pass over the log.
public enum FlowAnalysis {
    /// Replays `log` (up to the options' as-of position) into a flow report.
    public static func run(_ log: any EventStore, options: FlowOptions = .init(), progress: ((UInt64) -> Void)? = nil) throws -> FlowReport {
        var analyzer = FlowAnalyzer(options: options)
        try ProjectionEngine.pass(log, from: 1, upTo: options.asOfPosition, progress: progress) { try analyzer.apply($0) }
        return analyzer.report()
    }
}

/// The running state of a flow analysis: feed it records in log order, then ask for the report.
public struct FlowAnalyzer: Sendable {
    /// What it computes.
    public let options: FlowOptions

    struct Step: Sendable, Codable {
        var activity: Int32
        var time: Int64
    }

    /// A handover between two groups or lines, and whether it sent the ticket straight back.
    struct Handover<Place: Sendable & Codable & Equatable>: Sendable, Codable {
        var from: Place
        var to: Place
        var wasReturn: Bool
    }

    /// What is kept of one ticket.
    struct Case: Sendable, Codable {
        var opened: Int64
        var inWindow: Bool
        var steps: [Step] = []
        var key: Int32 = -1
        var status: TicketStatus = .new
        var group: Int32 = -1
        var groupSince: Int64
        /// Every ticket starts at the single point of contact, on the first line.
        var line: SupportLine = .firstLine
        var lineSince: Int64
        var highestLine: SupportLine = .firstLine
        var visited: [Int32] = []
        var lastGroupHandover: Handover<Int32>?
        var lastLineHandover: Handover<SupportLine>?
        var visitedLines: UInt8 = 1 << SupportLine.firstLine.rawValue
        /// The unordered group pairs with a return between them.
        var pingPongPairs: [Int64] = []
        var handovers: Int32 = 0
        var pingPong = false
        var firstResolvedAt: Int64?
        var agents: [Int32] = []
        var waitAgents: [Int32] = []
        var waitGroups: [Int32] = []
        var waitSince: Int64?
        var waitAgent: Int32 = -1
        var waitGroup: Int32 = -1
        var taken = false
        var deviations: UInt16 = 0
        var endedAt: Int64?
    }

    struct PairStats: Sendable, Codable {
        var count = 0
        var opportunities = 0
        var returns = 0
        var cycles = 0
        var before = DurationHistogram()
    }

    struct WaitStats: Sendable, Codable {
        var tickets = 0
        var waitTickets = 0
        var suspensions = 0
        var nearDue = 0
        var waitSeconds: Int64 = 0
        var lifeSeconds: Int64 = 0
        var lines = [0, 0, 0]
    }

    struct Names: Sendable, Codable {
        var names: [String] = []
        var index: [String: Int32] = [:]

        init() {}

        /// Only the names are stored; the index is rebuilt from them.
        init(from decoder: any Decoder) throws {
            names = try [String](from: decoder)
            index = try Dictionary(names.enumerated().map { ($1, Int32($0)) }) { _, _ in
                throw DeskError(.invalidArgument, "a flow snapshot lists a name twice")
            }
        }

        func encode(to encoder: any Encoder) throws {
            try names.encode(to: encoder)
        }

        mutating func id(_ name: String) -> Int32 {
            if let id = index[name] { return id }
            let id = Int32(names.count)
            names.append(name)
            index[name] = id
            return id
        }
    }

    var cases: [Case] = []
    /// The fields of the tickets that are open, by case index (dropped when a
    /// ticket ends, to bound memory; apart from `cases`, which stay small).
    var openTickets: [Int: Ticket] = [:]
    /// SLA attachments seen.
    var slaAttachments = 0
    var caseIndex: [String: Int] = [:]
    var problemStreams: Set<String> = []
    var activities = Names()
    var groups = Names()
    var agents = Names()
    var keys = Names()
    var groupPairs: [Int64: PairStats] = [:]
    var linePairs: [Int64: PairStats] = [:]
    var agentWaits: [Int32: WaitStats] = [:]
    var groupWaits: [Int32: WaitStats] = [:]
    /// Group changes seen (assignments, escalations, `group` attributes).
    var handoverEvents = 0
    /// Assignments and functional escalations seen: what tells the support lines apart.
    var assignmentEvents = 0
    var suspensionsWithoutReason = 0
    var waitUserSuspensions = 0
    var lastTime: Int64?
    /// The position of the last record given.
    public private(set) var position: UInt64 = 0

    /// An empty analysis.
    public init(options: FlowOptions = .init()) {
        self.options = options
    }

    // MARK: - Deviations

    /// A deviation from the reference process; its raw value is its bit in ``Case/deviations``.
    enum Deviation: Int, CaseIterable {
        case noRegistration, registeredAgain, resolvedUntaken, handedOverAfterResolution, workedAfterResolution
        case classifiedAfterResolution, closedUnresolved, reopenedAfterClosure, activityAfterClosure, cancelled, merged

        /// In words, as the report lists it.
        var name: String {
            switch self {
            case .noRegistration: "begins without a registration"
            case .registeredAgain: "registered again"
            case .resolvedUntaken: "resolved before anyone took it"
            case .handedOverAfterResolution: "handed over after resolution without a reopening"
            case .workedAfterResolution: "worked on after resolution without a reopening"
            case .classifiedAfterResolution: "classified after resolution"
            case .closedUnresolved: "closed without a resolution"
            case .reopenedAfterClosure: "reopened after closure"
            case .activityAfterClosure: "activity after closure"
            case .cancelled: "cancelled"
            case .merged: "merged into another ticket"
            }
        }
    }

    // MARK: - Applying records

    /// Applies one record in log order.
    public mutating func apply(_ record: RecordView) throws(DeskError) {
        position = record.position
        let stream = record.streamID
        guard !stream.hasPrefix("$"), !problemStreams.contains(stream) else { return }
        let time = record.occurredAt.microseconds
        if let asOf = options.asOf, time > asOf.microseconds { return }
        let event = try TicketEventCodec.decode(record)
        if let body = event?.body {
            switch body {
            case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed:
                if caseIndex[stream] == nil { problemStreams.insert(stream); return }
            default: break
            }
        }
        let index: Int
        if let known = caseIndex[stream] {
            index = known
        } else {
            let inWindow = options.from.map { time >= $0.microseconds } ?? true
            index = cases.count
            cases.append(Case(opened: time, inWindow: inWindow, groupSince: time, lineSince: time))
            caseIndex[stream] = index
            if event.map({ if case .registered = $0.body { false } else { true } }) ?? true {
                cases[index].deviations |= 1 << Deviation.noRegistration.rawValue
            }
        }
        guard cases[index].inWindow else { return }
        lastTime = max(lastTime ?? time, time)
        let activity = activities.id(TicketEventCodec.activityName(event, type: record.type))
        cases[index].steps.append(Step(activity: activity, time: time))
        guard let event else { return }
        let actor = record.actorKind == .agent ? record.actor.id : nil
        apply(event, to: index, at: time, actor: actor, streamID: stream)
    }

    mutating func apply(_ event: DeskEvent, to index: Int, at time: Int64, actor: String?, streamID: String) {
        // Moved out and back (not copied), so that its arrays stay uniquely referenced while they change.
        var c = Case(opened: 0, inWindow: false, groupSince: 0, lineSince: 0)
        swap(&c, &cases[index])
        defer { swap(&c, &cases[index]) }
        let before = c.status
        if case .slaAttached = event.body { slaAttachments += 1 }
        let wasEnded = c.endedAt != nil
        if !wasEnded {
            openTickets[index, default: Ticket(number: streamID, at: Timestamp(microseconds: c.opened))].apply(event, occurredAt: Timestamp(microseconds: time))
        }
        func deviate(_ d: Deviation) { c.deviations |= 1 << d.rawValue }
        let resolved = before == .resolved
        let ended = before == .closed || before == .cancelled || before == .merged
        // The group holding the ticket: an assignment's or escalation's, or an imported event's `group` attribute.
        var newGroup: String?
        var newLine: SupportLine?
        switch event.body {
        case .registered:
            if c.steps.count > 1, c.deviations & (1 << Deviation.noRegistration.rawValue) == 0 { deviate(.registeredAgain) }
        case .classified:
            if resolved { deviate(.classifiedAfterResolution) }
        case .assigned(let e):
            newGroup = e.group
            newLine = e.line
            assignmentEvents += 1
            c.taken = true
            if let agent = e.agent { note(agent: agent, in: &c, line: e.line) }
            if resolved { deviate(.handedOverAfterResolution) }
        case .escalated(let e) where e.kind == .functional:
            newGroup = e.to
            newLine = e.toLine
            assignmentEvents += 1
            c.taken = true
            if resolved { deviate(.handedOverAfterResolution) }
        case .workStarted(let agent):
            c.taken = true
            note(agent: agent, in: &c, line: c.line)
            if resolved { deviate(.workedAfterResolution) }
        case .suspended(let reason, _):
            if resolved { deviate(.workedAfterResolution) }
            endWait(&c, at: time)
            if reason == .awaitingCaller {
                waitUserSuspensions += 1
                let agent = actor ?? openTickets[index]?.agent
                c.waitSince = time
                c.waitAgent = agent.map { agents.id($0) } ?? -1
                if let agent { note(agent: agent, in: &c, line: c.line) }
                c.waitGroup = c.group
                if c.waitAgent >= 0 {
                    if !c.waitAgents.contains(c.waitAgent) { c.waitAgents.append(c.waitAgent) }
                    agentWaits[c.waitAgent, default: WaitStats()].suspensions += 1
                }
                if c.waitGroup >= 0 {
                    if !c.waitGroups.contains(c.waitGroup) { c.waitGroups.append(c.waitGroup) }
                    groupWaits[c.waitGroup, default: WaitStats()].suspensions += 1
                }
                if let sla = openTickets[index]?.sla, sla.resolutionTargetSeconds > 0 {
                    // The due time moved later by earlier suspensions (a 24 × 7 clock).
                    let due = sla.resolutionDue.microseconds + (openTickets[index]?.suspendedMicroseconds ?? 0)
                    let start = due - sla.resolutionTargetSeconds * 1_000_000
                    if time < due, Double(time - start) >= options.slaWarningShare * Double(due - start) {
                        if c.waitAgent >= 0 { agentWaits[c.waitAgent, default: WaitStats()].nearDue += 1 }
                        if c.waitGroup >= 0 { groupWaits[c.waitGroup, default: WaitStats()].nearDue += 1 }
                    }
                }
            } else if reason == .other {
                suspensionsWithoutReason += 1
            }
        case .resumed:
            endWait(&c, at: time)
        case .resolved:
            endWait(&c, at: time)
            if !c.taken { deviate(.resolvedUntaken) }
            if c.firstResolvedAt == nil { c.firstResolvedAt = time }
        case .reopened:
            if ended { deviate(.reopenedAfterClosure) }
        case .closed:
            endWait(&c, at: time)
            if !resolved, !ended { deviate(.closedUnresolved) }
        case .cancelled:
            endWait(&c, at: time)
            deviate(.cancelled)
        case .merged:
            endWait(&c, at: time)
            deviate(.merged)
        case .satisfactionRecorded, .commentAdded, .linked, .unlinked, .slaAttached, .contactLogged, .workLogged, .activityRecorded:
            break
        default:
            break
        }
        if ended {
            switch event.body {
            case .satisfactionRecorded, .commentAdded, .linked, .unlinked, .reopened, .activityRecorded: break
            default: deviate(.activityAfterClosure)
            }
        }
        if newGroup == nil, let attributeGroup = event.attributes["group"], !attributeGroup.isEmpty { newGroup = attributeGroup }
        if let newLine { move(&c, toLine: newLine, at: time) }
        if let newGroup {
            let id = groups.id(newGroup)
            if id != c.group { groupWaits[id, default: WaitStats()].lines[Int(c.line.rawValue) - 1] += 1 }
            move(&c, toGroup: id, at: time)
        }
        c.status = openTickets[index]?.status ?? c.status
        if wasEnded {
            // A late event on an ended ticket: only its status matters here.
            switch event.body {
            case .reopened: c.status = .assigned
            case .resolved: c.status = .resolved
            default: break
            }
        }
        if !wasEnded, [.closed, .cancelled, .merged].contains(c.status) {
            c.endedAt = time
            c.key = keys.id(options.dimension.key(of: openTickets.removeValue(forKey: index)!))
        }
    }

    mutating func note(agent: String, in c: inout Case, line: SupportLine) {
        let id = agents.id(agent)
        if !c.agents.contains(id) {
            c.agents.append(id)
            agentWaits[id, default: WaitStats()].lines[Int(line.rawValue) - 1] += 1
        }
    }

    mutating func endWait(_ c: inout Case, at time: Int64) {
        guard let since = c.waitSince else { return }
        let seconds = max(0, time - since) / 1_000_000
        if c.waitAgent >= 0 { agentWaits[c.waitAgent, default: WaitStats()].waitSeconds += seconds }
        if c.waitGroup >= 0 { groupWaits[c.waitGroup, default: WaitStats()].waitSeconds += seconds }
        c.waitSince = nil
    }

    static func pair(_ a: Int32, _ b: Int32) -> Int64 { Int64(a) << 32 | Int64(UInt32(bitPattern: b)) }

    mutating func move(_ c: inout Case, toGroup group: Int32, at time: Int64) {
        guard group != c.group else { return }
        handoverEvents += 1
        if c.group >= 0 {
            let from = c.group
            c.handovers += 1
            let key = Self.pair(from, group)
            groupPairs[key, default: PairStats()].count += 1
            groupPairs[key, default: PairStats()].before.record((time - c.groupSince) / 1_000_000)
            let isReturn = c.lastGroupHandover.map { $0.from == group && $0.to == from && !$0.wasReturn } ?? false
            if isReturn {
                // Sent straight back: the previous handover returned.
                groupPairs[Self.pair(group, from), default: PairStats()].returns += 1
                c.pingPong = true
                let unordered = Self.pair(min(from, group), max(from, group))
                if !c.pingPongPairs.contains(unordered) { c.pingPongPairs.append(unordered) }
            } else {
                groupPairs[key, default: PairStats()].opportunities += 1
                if c.visited.contains(group) {
                    groupPairs[key, default: PairStats()].cycles += 1
                    c.pingPong = true
                    let unordered = Self.pair(min(from, group), max(from, group))
                    if !c.pingPongPairs.contains(unordered) { c.pingPongPairs.append(unordered) }
                }
            }
            c.lastGroupHandover = Handover(from: from, to: group, wasReturn: isReturn)
        }
        if !c.visited.contains(group) { c.visited.append(group) }
        c.group = group
        c.groupSince = time
    }

    mutating func move(_ c: inout Case, toLine line: SupportLine, at time: Int64) {
        if line.rawValue > c.highestLine.rawValue { c.highestLine = line }
        defer {
            c.line = line
            c.lineSince = time
            c.visitedLines |= 1 << line.rawValue
        }
        let from = c.line
        guard from != line else { return }
        let key = Self.pair(Int32(from.rawValue), Int32(line.rawValue))
        linePairs[key, default: PairStats()].count += 1
        linePairs[key, default: PairStats()].before.record((time - c.lineSince) / 1_000_000)
        let isReturn = c.lastLineHandover.map { $0.from == line && $0.to == from && !$0.wasReturn } ?? false
        if isReturn {
            linePairs[Self.pair(Int32(line.rawValue), Int32(from.rawValue)), default: PairStats()].returns += 1
        } else {
            linePairs[key, default: PairStats()].opportunities += 1
            if c.visitedLines & (1 << line.rawValue) != 0 { linePairs[key, default: PairStats()].cycles += 1 }
        }
        c.lastLineHandover = Handover(from: from, to: line, wasReturn: isReturn)
    }
}

// MARK: - The report

extension FlowAnalyzer {
    struct FrontCounts {
        var tickets = 0
        var resolved = 0
        var firstLine = 0
        var secondLine = 0
        var specialist = 0

        mutating func add(_ c: Case) {
            tickets += 1
            if c.firstResolvedAt != nil {
                resolved += 1
                if c.highestLine == .firstLine { firstLine += 1 }
            }
            if c.visitedLines & (1 << SupportLine.secondLine.rawValue) != 0 { secondLine += 1 }
            if c.visitedLines & (1 << SupportLine.specialist.rawValue) != 0 { specialist += 1 }
        }

        func share(_ key: String) -> FlowReport.FrontShare {
            FlowReport.FrontShare(
                key: key, tickets: tickets, resolved: resolved, firstLineShare: ratio(firstLine, resolved),
                secondLineShare: ratio(secondLine, tickets), specialistShare: ratio(specialist, tickets))
        }
    }

    /// The report of everything applied so far.
    public func report() -> FlowReport {
        let end = options.asOf?.microseconds ?? lastTime ?? 0
        let activityCount = activities.names.count
        var activityEvents = [Int](repeating: 0, count: activityCount)
        var activityTickets = [Int](repeating: 0, count: activityCount)
        var activityRework = [Int](repeating: 0, count: activityCount)
        var edges: [Int64: (count: Int, wait: DurationHistogram)] = [:]
        var starts: [Int32: Int] = [:]
        var ends: [Int32: Int] = [:]
        var variants: [[Int32]: Int] = [:]
        var tickets = 0
        var events = 0
        var reworkTickets = 0
        var pingPongTickets = 0
        var pairTickets: [Int64: Int] = [:]
        let bucketCount = 6
        var buckets = [(tickets: Int, resolved: Int, time: DurationHistogram)](repeating: (0, 0, DurationHistogram()), count: bucketCount)
        var total = FrontCounts()
        var byKey: [Int32: FrontCounts] = [:]
        var byPeriod: [Int64: (start: Timestamp, counts: FrontCounts)] = [:]
        var deviations = [Int](repeating: 0, count: Deviation.allCases.count)
        var judged = 0
        var conforming = 0
        var open = 0
        var agentWaits = self.agentWaits
        var groupWaits = self.groupWaits
        var keys = self.keys
        var counts = [Int](repeating: 0, count: activityCount)
        for (index, c) in cases.enumerated() where c.inWindow {
            tickets += 1
            events += c.steps.count
            // Time order within the ticket, ties in log order (what pm4py does).
            var steps = c.steps
            if zip(steps, steps.dropFirst()).contains(where: { $0.time > $1.time }) {
                steps = steps.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
            }
            if let first = steps.first, let last = steps.last {
                starts[first.activity, default: 0] += 1
                ends[last.activity, default: 0] += 1
            }
            for (a, b) in zip(steps, steps.dropFirst()) {
                let key = Self.pair(a.activity, b.activity)
                edges[key, default: (0, DurationHistogram())].count += 1
                edges[key, default: (0, DurationHistogram())].wait.record((b.time - a.time) / 1_000_000)
            }
            variants[steps.map(\.activity), default: 0] += 1
            var repeated = false
            for step in steps {
                let a = Int(step.activity)
                counts[a] += 1
                activityEvents[a] += 1
                if counts[a] == 1 { activityTickets[a] += 1 }
                if counts[a] == 2 {
                    activityRework[a] += 1
                    repeated = true
                }
            }
            for step in steps { counts[Int(step.activity)] = 0 }
            if repeated { reworkTickets += 1 }
            // Handovers.
            if c.pingPong { pingPongTickets += 1 }
            for pair in c.pingPongPairs { pairTickets[pair, default: 0] += 1 }
            let bucket = min(Int(c.handovers), bucketCount - 1)
            buckets[bucket].tickets += 1
            if let resolvedAt = c.firstResolvedAt {
                buckets[bucket].resolved += 1
                buckets[bucket].time.record((resolvedAt - c.opened) / 1_000_000)
            }
            // Push to front.
            total.add(c)
            // (A ticket whose events none decode has no fields: its key is `(none)`.)
            let key = openTickets[index].map { keys.id(options.dimension.key(of: $0)) } ?? (c.key >= 0 ? c.key : keys.id("(none)"))
            byKey[key, default: FrontCounts()].add(c)
            let period = options.period.period(of: Timestamp(microseconds: c.opened))
            byPeriod[period.index, default: (period.start, FrontCounts())].counts.add(c)
            // Wait-user.
            let life = max(0, (c.endedAt ?? end) - c.opened) / 1_000_000
            let openWait = c.waitSince.map { max(0, end - $0) / 1_000_000 } ?? 0
            for agent in c.agents {
                agentWaits[agent, default: WaitStats()].tickets += 1
                agentWaits[agent, default: WaitStats()].lifeSeconds += life
            }
            for agent in c.waitAgents { agentWaits[agent, default: WaitStats()].waitTickets += 1 }
            if c.waitAgent >= 0 { agentWaits[c.waitAgent, default: WaitStats()].waitSeconds += openWait }
            for group in c.visited {
                groupWaits[group, default: WaitStats()].tickets += 1
                groupWaits[group, default: WaitStats()].lifeSeconds += life
            }
            for group in c.waitGroups { groupWaits[group, default: WaitStats()].waitTickets += 1 }
            if c.waitGroup >= 0 { groupWaits[c.waitGroup, default: WaitStats()].waitSeconds += openWait }
            // Conformance.
            if c.endedAt == nil {
                open += 1
            } else {
                judged += 1
                if c.deviations == 0 { conforming += 1 }
                for d in deviations.indices where c.deviations & (1 << d) != 0 { deviations[d] += 1 }
            }
        }
        let name = { (id: Int32) in activities.names[Int(id)] }
        let activityList = (0..<activityCount).filter { activityEvents[$0] > 0 }.map {
            FlowReport.Activity(name: activities.names[$0], events: activityEvents[$0], tickets: activityTickets[$0], reworkTickets: activityRework[$0])
        }.sorted { ($1.events, $0.name) < ($0.events, $1.name) }
        let edgeList = edges.map { key, edge in
            FlowReport.Edge(
                from: name(Int32(key >> 32)), to: name(Int32(truncatingIfNeeded: key)), count: edge.count,
                medianSeconds: edge.wait.percentile(50), p90Seconds: edge.wait.percentile(90))
        }.sorted { ($1.count, $0.from, $0.to) < ($0.count, $1.from, $1.to) }
        func countList(_ counts: [Int32: Int]) -> [FlowReport.Count] {
            counts.map { FlowReport.Count(name: name($0.key), count: $0.value) }.sorted { ($1.count, $0.name) < ($0.count, $1.name) }
        }
        var variantList = variants.map { FlowReport.Variant(activities: $0.key.map(name), count: $0.value, share: Double($0.value) / Double(max(1, tickets))) }
            .sorted { ($1.count, $0.activities.joined(separator: "\u{1}")) < ($0.count, $1.activities.joined(separator: "\u{1}")) }
        if options.variants > 0 { variantList = Array(variantList.prefix(options.variants)) }

        // Ping-pong between groups and lines, judged against the desk's own return rate.
        let (groupPingPong, returnRate) = pingPong(groupPairs, names: { groups.names[Int($0)] }, tickets: pairTickets)
        let (linePingPong, _) = pingPong(linePairs, names: { SupportLine(rawValue: UInt8($0))!.description }, tickets: [:])
        let handovers = FlowReport.Handovers(
            groups: handoverList(groupPairs) { groups.names[Int($0)] },
            lines: handoverList(linePairs) { SupportLine(rawValue: UInt8($0))!.description },
            groupPingPong: groupPingPong, linePingPong: linePingPong, pingPongTickets: pingPongTickets,
            pingPongRate: ratio(pingPongTickets, tickets), returnRate: returnRate,
            byHandoverCount: buckets.enumerated().map { index, bucket in
                FlowReport.HandoverBucket(
                    handovers: index, orMore: index == bucketCount - 1, tickets: bucket.tickets, resolved: bucket.resolved,
                    medianResolveSeconds: bucket.time.percentile(50), p90ResolveSeconds: bucket.time.percentile(90))
            })

        var notes: [String] = []
        var pushToFront: FlowReport.PushToFront?
        if assignmentEvents > 0 {
            pushToFront = FlowReport.PushToFront(
                dimension: options.dimension, period: options.period, total: total.share("total"),
                byKey: byKey.map { $0.value.share(keys.names[Int($0.key)]) }.sorted { ($1.tickets, $0.key) < ($0.tickets, $1.key) },
                trend: byPeriod.sorted { $0.key < $1.key }.map { $0.value.counts.share($0.value.start.description) })
        } else if tickets > 0 {
            notes.append("the log records no assignment or escalation: push to front (first, second line, specialists) cannot be judged (null)")
        }
        if handoverEvents == 0, tickets > 0 {
            notes.append("no ticket changes group (no assignment, escalation or `group` attribute): handovers and ping-pong cannot be judged")
        }
        if waitUserSuspensions == 0, suspensionsWithoutReason > 0 {
            notes.append("\(suspensionsWithoutReason) suspensions give no reason (as imported logs record a wait): wait-user suspensions cannot be told from others, none are counted")
        }
        if waitUserSuspensions > 0, slaAttachments == 0 {
            notes.append("no ticket has an SLA attached: suspensions shortly before a due time cannot be judged (0)")
        }
        let unnamedReasons = deviations[Deviation.noRegistration.rawValue]
        if unnamedReasons > 0 {
            notes.append("\(unnamedReasons) tickets begin without a registration: they count from their first event, and deviate from the reference process")
        }
        notes.append("within a ticket, events are taken in time order, ties in log order (as pm4py does); handovers follow the log's order")

        let deviationList = deviations.enumerated().filter { $0.element > 0 }
            .map { FlowReport.Deviation(deviation: Deviation.allCases[$0.offset].name, tickets: $0.element) }
            .sorted { ($1.tickets, $0.deviation) < ($0.tickets, $1.deviation) }
        let conformance = FlowReport.Conformance(
            judged: judged, conforming: conforming, rate: ratio(conforming, judged), open: open, deviations: deviationList,
            reference: "register → classify* → assign (or take it: an agent starts work) → escalate* → resolve → close; a reopening goes back to assign; "
                + "work, comments, suspensions, SLA, contacts, links and satisfaction may come anywhere before closure, satisfaction, comments and links after it")

        return FlowReport(
            from: options.from, to: options.asOf ?? lastTime.map(Timestamp.init(microseconds:)), tickets: tickets, events: events,
            activities: activityList, edges: edgeList, startActivities: countList(starts), endActivities: countList(ends),
            variantCount: variants.count, variants: variantList, reworkTickets: reworkTickets, reworkRate: ratio(reworkTickets, tickets),
            handovers: handovers, pushToFront: pushToFront,
            waitUserAgents: waitUser(agentWaits, names: { agents.names[Int($0)] }),
            waitUserGroups: waitUser(groupWaits, names: { groups.names[Int($0)] }),
            conformance: conformance, notes: notes,
            test: "a pair of groups is flagged when its handovers sent straight back, under a binomial law with the desk's own rate of returned handovers, "
                + "are at least as many with probability below \(options.flagPValue) (one-sided) and number at least \(options.flagMinimumCount); "
                + "an agent (a group) likewise for its tickets with a wait-user suspension, against the agents (groups) of the same support line")
    }

    func handoverList(_ pairs: [Int64: PairStats], names: (Int32) -> String) -> [FlowReport.Handover] {
        pairs.filter { $0.value.count > 0 }.map { key, stats in
            FlowReport.Handover(from: names(Int32(key >> 32)), to: names(Int32(truncatingIfNeeded: key)), count: stats.count, medianSecondsBefore: stats.before.percentile(50))
        }.sorted { ($1.count, $0.from, $0.to) < ($0.count, $1.from, $1.to) }
    }

    func pingPong(_ pairs: [Int64: PairStats], names: (Int32) -> String, tickets: [Int64: Int]) -> ([FlowReport.PingPong], Double?) {
        var merged: [Int64: PairStats] = [:]
        for (key, stats) in pairs {
            let a = Int32(key >> 32)
            let b = Int32(truncatingIfNeeded: key)
            let unordered = Self.pair(min(a, b), max(a, b))
            var m = merged[unordered] ?? PairStats()
            m.opportunities += stats.opportunities
            m.returns += stats.returns
            m.cycles += stats.cycles
            merged[unordered] = m
        }
        let opportunities = merged.values.reduce(0) { $0 + $1.opportunities }
        let returns = merged.values.reduce(0) { $0 + $1.returns }
        guard opportunities > 0 else { return ([], nil) }
        let rate = Double(returns) / Double(opportunities)
        let list = merged.filter { $0.value.returns + $0.value.cycles > 0 }.map { key, m in
            let p = Binomial.upperTail(m.returns, trials: m.opportunities, probability: rate)
            let names = [names(Int32(key >> 32)), names(Int32(truncatingIfNeeded: key))].sorted()
            return FlowReport.PingPong(
                a: names[0], b: names[1], tickets: tickets[key] ?? 0, handovers: m.opportunities, returns: m.returns, laterReturns: m.cycles,
                rate: Double(m.returns) / Double(max(1, m.opportunities)), pValue: p,
                flagged: p < options.flagPValue && m.returns >= options.flagMinimumCount)
        }.sorted { ($0.flagged ? 0 : 1, -$0.returns, $0.a, $0.b) < ($1.flagged ? 0 : 1, -$1.returns, $1.a, $1.b) }
        return (list, rate)
    }

    func waitUser(_ stats: [Int32: WaitStats], names: (Int32) -> String) -> [FlowReport.WaitUser] {
        let active = stats.filter { $0.value.tickets > 0 }
        func line(_ s: WaitStats) -> Int? {
            guard let best = s.lines.indices.max(by: { (s.lines[$0], -$0) < (s.lines[$1], -$1) }), s.lines[best] > 0 else { return nil }
            return best
        }
        var peers: [Int: (tickets: Int, waits: Int)] = [:]
        for s in active.values {
            let l = line(s) ?? -1
            peers[l, default: (0, 0)].tickets += s.tickets
            peers[l, default: (0, 0)].waits += s.waitTickets
        }
        return active.map { id, s in
            let l = line(s)
            let peer = peers[l ?? -1]!
            let rate = Double(peer.waits) / Double(peer.tickets)
            let p = Binomial.upperTail(s.waitTickets, trials: s.tickets, probability: rate)
            return FlowReport.WaitUser(
                key: names(id), line: l.map { SupportLine(rawValue: UInt8($0 + 1))!.description }, tickets: s.tickets, waitTickets: s.waitTickets,
                suspensions: s.suspensions, share: Double(s.waitTickets) / Double(s.tickets),
                timeShare: s.lifeSeconds > 0 ? Double(s.waitSeconds) / Double(s.lifeSeconds) : nil, nearSLADue: s.nearDue, pValue: p,
                flagged: p < options.flagPValue && s.waitTickets >= options.flagMinimumCount)
        }.sorted { ($0.flagged ? 0 : 1, -$0.share, $0.key) < ($1.flagged ? 0 : 1, -$1.share, $1.key) }
    }
}

func ratio(_ part: Int, _ whole: Int) -> Double? {
    whole == 0 ? nil : Double(part) / Double(whole)
}

enum Binomial {
    /// P(X ≥ k) for X ~ Binomial(n, p), summed upward from k in log space
    /// (accurate for the small tails a test looks at).
    static func upperTail(_ k: Int, trials n: Int, probability p: Double) -> Double {
        guard k > 0 else { return 1 }
        guard k <= n, p > 0 else { return 0 }
        guard p < 1 else { return 1 }
        var log = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) + Double(k) * Foundation.log(p) + Double(n - k) * log1p(-p)
        var sum = 0.0
        let odds = p / (1 - p)
        for i in k...n {
            let term = exp(log)
            sum += term
            if term < sum * 1e-17 { break }
            log += Foundation.log(Double(n - i) / Double(i + 1) * odds)
        }
        return min(1, sum)
    }
}

extension FlowAnalyzer: Codable, Projection {
    /// `flow`.
    public static var name: String { "flow" }
    /// Bumped whenever the analysis's state or rules change.
    public static var version: Int { 1 }

    /// The options, as sorted-key JSON.
    public var configuration: String {
        String(decoding: (try? DeskProjector.encoder.encode(options)) ?? Data(), as: UTF8.self)
    }

    /// The as-of position of the options, if any.
    public var limit: UInt64? { options.asOfPosition }

    /// Not with an as-of time or position.
    public var isSnapshotWorthy: Bool { options.asOf == nil && options.asOfPosition == nil }

    enum CodingKeys: String, CodingKey {
        case options, position, cases, openTickets, slaAttachments, caseIndex, problemStreams, activities, groups, agents, keys
        case groupPairs, linePairs, agentWaits, groupWaits, handoverEvents, assignmentEvents, suspensionsWithoutReason, waitUserSuspensions, lastTime
    }

    /// Restores a snapshot.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(options: try c.decode(FlowOptions.self, forKey: .options))
        position = try c.decode(UInt64.self, forKey: .position)
        cases = try c.decode([Case].self, forKey: .cases)
        openTickets = try c.decode([Int: Ticket].self, forKey: .openTickets)
        slaAttachments = try c.decode(Int.self, forKey: .slaAttachments)
        caseIndex = try c.decode([String: Int].self, forKey: .caseIndex)
        problemStreams = Set(try c.decode([String].self, forKey: .problemStreams))
        activities = try c.decode(Names.self, forKey: .activities)
        groups = try c.decode(Names.self, forKey: .groups)
        agents = try c.decode(Names.self, forKey: .agents)
        keys = try c.decode(Names.self, forKey: .keys)
        groupPairs = try Self.dictionary(c.decode([Entry<Int64, PairStats>].self, forKey: .groupPairs))
        linePairs = try Self.dictionary(c.decode([Entry<Int64, PairStats>].self, forKey: .linePairs))
        agentWaits = try Self.dictionary(c.decode([Entry<Int32, WaitStats>].self, forKey: .agentWaits))
        groupWaits = try Self.dictionary(c.decode([Entry<Int32, WaitStats>].self, forKey: .groupWaits))
        handoverEvents = try c.decode(Int.self, forKey: .handoverEvents)
        assignmentEvents = try c.decode(Int.self, forKey: .assignmentEvents)
        suspensionsWithoutReason = try c.decode(Int.self, forKey: .suspensionsWithoutReason)
        waitUserSuspensions = try c.decode(Int.self, forKey: .waitUserSuspensions)
        lastTime = try c.decodeIfPresent(Int64.self, forKey: .lastTime)
    }

    /// A dictionary entry as snapshots store it: dictionaries with integer keys
    /// are written as lists sorted by key (JSON would write them in hash order).
    struct Entry<Key: Codable & Comparable & Hashable, Value: Codable>: Codable {
        var key: Key
        var value: Value
    }

    static func entries<Key, Value>(_ dictionary: [Key: Value]) -> [Entry<Key, Value>] {
        dictionary.map { Entry(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    static func dictionary<Key, Value>(_ entries: [Entry<Key, Value>]) throws -> [Key: Value] {
        try Dictionary(entries.map { ($0.key, $0.value) }) { _, _ in throw DeskError(.invalidArgument, "a flow snapshot lists a key twice") }
    }

    /// Writes a snapshot (sets and integer-keyed dictionaries sorted, so equal states give equal bytes).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(options, forKey: .options)
        try c.encode(position, forKey: .position)
        try c.encode(cases, forKey: .cases)
        try c.encode(openTickets, forKey: .openTickets)
        try c.encode(slaAttachments, forKey: .slaAttachments)
        try c.encode(caseIndex, forKey: .caseIndex)
        try c.encode(problemStreams.sorted(), forKey: .problemStreams)
        try c.encode(activities, forKey: .activities)
        try c.encode(groups, forKey: .groups)
        try c.encode(agents, forKey: .agents)
        try c.encode(keys, forKey: .keys)
        try c.encode(Self.entries(groupPairs), forKey: .groupPairs)
        try c.encode(Self.entries(linePairs), forKey: .linePairs)
        try c.encode(Self.entries(agentWaits), forKey: .agentWaits)
        try c.encode(Self.entries(groupWaits), forKey: .groupWaits)
        try c.encode(handoverEvents, forKey: .handoverEvents)
        try c.encode(assignmentEvents, forKey: .assignmentEvents)
        try c.encode(suspensionsWithoutReason, forKey: .suspensionsWithoutReason)
        try c.encode(waitUserSuspensions, forKey: .waitUserSuspensions)
        try c.encodeIfPresent(lastTime, forKey: .lastTime)
    }
}
