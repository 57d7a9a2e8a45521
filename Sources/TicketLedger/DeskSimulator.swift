public import EventLog
import Foundation
import Synchronization

/// A seeded, reproducible generator of realistic service-desk traffic, for
/// demos, tests and benchmarks.
///
/// Arrivals follow daily and weekly seasonality; channels follow a typical mix;
/// a few configuration items cause most incidents (Zipf); the first line
/// resolves about two thirds of tickets (some at first contact) and escalates
/// the rest to a second line and on to specialist groups by department; some
/// tickets are suspended, reassigned back and forth, reopened, breach their SLA
/// or get a satisfaction score. Every event goes through
/// ``TicketCommand/decide(_:state:number:context:)``, so the ledger only holds
/// what the desk itself would accept.
///
/// With ``Configuration/plantProblems`` it plants problem areas and reports them
/// in ``Outcome/planted``, so tests can check that analysis finds them:
/// a configuration item whose incidents rise over the second half of the period,
/// a service whose incidents spike in the week after a change, and a group of
/// callers with repeat incidents; and two process anomalies: a pair of groups
/// that send tickets back and forth (ping-pong), and a first-line agent who
/// parks tickets awaiting the caller (wait-user). Without plants (a control
/// ledger), handovers are still sent straight back now and then, at one rate
/// for every pair of groups, and every agent suspends alike.
public struct DeskSimulator: Sendable {
    /// What to simulate.
    public struct Configuration: Sendable, Hashable {
        /// The seed: the same configuration gives the same ledger, byte for byte.
        public var seed: UInt64 = 1
        /// Tickets registered over the period (planted extras included).
        public var tickets = 2_000
        /// The days the traffic spans.
        public var days = 90
        /// The period's start: 2024-01-01T00:00:00Z, a Monday.
        public var start = Timestamp(seconds: 1_704_067_200)
        /// Whether to plant problem areas and process anomalies (`false`: a
        /// control ledger). They are planted only with at least
        /// ``minimumTicketsToPlant`` tickets, which their counts need.
        public var plantProblems = true
        /// Events per atomic append.
        public var batchSize = 4_096

        /// Creates a configuration.
        public init(seed: UInt64 = 1, tickets: Int = 2_000, days: Int = 90, plantProblems: Bool = true) {
            self.seed = seed
            self.tickets = tickets
            self.days = days
            self.plantProblems = plantProblems
        }

        /// The fewest tickets a simulation plants anomalies in.
        public static let minimumTicketsToPlant = 200

        /// The period's end.
        public var end: Timestamp { Timestamp(microseconds: start.microseconds + Int64(days) * 86_400_000_000) }
    }

    /// A problem area the simulator planted.
    public struct PlantedArea: Sendable, Hashable {
        /// What was planted.
        public enum Kind: String, Sendable, Hashable {
            /// A configuration item whose incidents rise steadily.
            case risingConfigurationItem
            /// A service whose incidents spike after a change.
            case spikeAfterChange
            /// Callers with repeat incidents on the same item and category.
            case repeatCallers
            /// Two groups that send tickets back and forth.
            case pingPongPair
            /// An agent who suspends tickets awaiting the caller far more often than the others.
            case waitUserAgent
        }

        /// What was planted.
        public var kind: Kind
        /// The dimension it shows in: `ci`, `service`, `client`, `group` (a ping-pong pair) or `agent`.
        public var dimension: String
        /// The area's key in that dimension.
        public var key: String
        /// Where it shows.
        public var from: Timestamp
        /// The end of the window it shows in.
        public var to: Timestamp
        /// The callers (repeat callers), the change (spike), the pair's two groups, or empty.
        public var members: [String]
        /// In words.
        public var description: String
    }

    /// What a run wrote.
    public struct Outcome: Sendable {
        /// Tickets registered.
        public var tickets: Int
        /// Problem records opened.
        public var problems: Int
        /// Events appended.
        public var events: Int
        /// The planted problem areas (empty for a control run).
        public var planted: [PlantedArea]
        /// The first event's time.
        public var firstEventAt: Timestamp?
        /// The last event's time.
        public var lastEventAt: Timestamp?
        /// The chain head after the run.
        public var head: ChainHead
    }

    /// What it simulates.
    public let configuration: Configuration

    /// A simulator for `configuration`.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Generates into a new or existing ledger at `path`, opened here with a
    /// clock that reads simulated time, so that the same configuration gives a
    /// byte-identical ledger (the same chain head) on every run, unless personal
    /// data is sealed with `personalData` (its keys are random; see ``run(into:personalData:progress:)``).
    ///
    /// `progress` is called after each batch with the events appended so far and the total.
    public func generate(
        at path: String, durability: EventLogConfiguration.Durability = .buffered, personalData: PersonalData? = nil,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> Outcome {
        let clock = SimulatedClock(configuration.start)
        var logConfiguration = EventLogConfiguration(durability: durability, initialMapSize: 256 << 20)
        logConfiguration.clock = { clock.now }
        let log = try EventLog(path: path, configuration: logConfiguration)
        defer { log.close() }
        return try run(into: log, clock: clock, personalData: personalData, progress: progress)
    }

    /// Generates into an open log; `recordedAt` is that log's clock.
    ///
    /// - Throws: ``DeskError/Code/invalidArgument`` when the log already holds
    ///   tickets or problems (the simulation numbers them from 1, and would
    ///   register existing numbers again); a ledger holding only its metadata
    ///   (as `desk init` leaves it) is fine. Nothing is written then.
    ///
    /// With `personalData`, the callers' names, titles and free text are sealed
    /// per caller (``PersonalData``); the ledger then differs from run to run by
    /// those sealed bytes, whose keys are random.
    public func run(
        into log: any EventStore, personalData: PersonalData? = nil, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> Outcome {
        try run(into: log, clock: nil, personalData: personalData, progress: progress)
    }

    private func run(into log: any EventStore, clock: SimulatedClock?, personalData: PersonalData?, progress: ((Int, Int) -> Void)?) throws -> Outcome {
        struct Found: Error { let stream: String }
        do {
            try log.forEachStream { stream, _ in if !stream.hasPrefix("$") { throw Found(stream: stream) } }
        } catch let found as Found {
            throw DeskError(.invalidArgument, "the ledger already holds tickets (\(found.stream), ...): a simulation numbers its tickets from 1 and writes only into an empty ledger (or one holding only the desk's metadata)")
        }
        var world = World(configuration: configuration)
        let (events, planted, tickets, problems) = try world.script()
        var idGenerator = SeededGenerator(seed: configuration.seed ^ 0x5EED_1D5)
        var index = 0
        while index < events.count {
            let slice = events[index..<min(index + configuration.batchSize, events.count)]
            var appends: [StreamAppend] = []
            for event in slice {
                var (body, actor) = (event.event, event.actor)
                if let personalData { (body, actor) = try personalData.seal(body, actor: actor, caller: event.caller) }
                let proposed = TicketEventCodec.proposed(
                    body, id: EventID.make(unixMilliseconds: event.time.unixMilliseconds, using: &idGenerator),
                    occurredAt: event.time, actor: actor)
                if appends.last?.stream == event.stream {
                    appends[appends.count - 1].events.append(proposed)
                } else {
                    appends.append(StreamAppend(stream: event.stream, events: [proposed]))
                }
            }
            clock?.set(slice.last!.time)
            _ = try log.append(appends)
            index += slice.count
            progress?(index, events.count)
        }
        return Outcome(
            tickets: tickets, problems: problems, events: events.count, planted: planted,
            firstEventAt: events.first?.time, lastEventAt: events.last?.time, head: try log.head())
    }
}

/// The simulated "now" that the log records as `recordedAt`.
final class SimulatedClock: Sendable {
    private let time: Mutex<Timestamp>
    init(_ start: Timestamp) { time = Mutex(start) }
    var now: Timestamp { time.withLock { $0 } }
    func set(_ value: Timestamp) { time.withLock { $0 = value } }
}

/// One scripted event before it is appended.
struct ScriptedEvent {
    var time: Timestamp
    var sequence: Int
    var stream: String
    var actor: ActorRef
    var event: DeskEvent
    /// The ticket's caller (empty for a problem): whose key seals its personal fields.
    var caller: String
}

/// The simulated organisation and its traffic.
struct World {
    let configuration: DeskSimulator.Configuration
    var random: SeededGenerator
    var events: [ScriptedEvent] = []
    var sequence = 0

    static let services = ["Email", "ERP", "Billing", "Point of Sale", "Network", "Workplace", "CRM", "Web Shop", "HR Portal", "Telephony"]
    static let categories = ["Hardware", "Software", "Access", "Network", "Printing", "Performance", "Data", "Request"]
    static let clients: [ClientRef] = ["Finance", "Sales", "Logistics", "HR", "IT"].map { ClientRef($0) }
        + ["Retail-East", "Retail-West", "Acme Foods", "Nordic Stores"].map { ClientRef($0, kind: .outsourcedCustomer) }
    static let specialists: [(group: String, department: Department)] = [
        ("System Administration", .systemAdministration), ("POS Terminal Support", .posTerminals),
        ("Special Software", .specialSoftware), ("Special Hardware", .specialHardware), ("Billing Team", .billing),
    ]
    static let secondLineGroups = ["2nd Line Applications", "2nd Line Infrastructure"]
    /// Every ledger: the share of escalations that the receiving group sends straight back, and the sender escalates again.
    static let returnChance = 0.04
    /// Planted: the share of second-line tickets sent to the other second-line group, which sends them back.
    static let pingPongChance = 0.08
    /// Planted: the first-line agent who suspends most of what it solves awaiting the caller.
    static let waitUserAgent = "fl-agent-3"

    /// Whether this run plants anomalies (asked for, and enough tickets).
    var planting: Bool { configuration.plantProblems && configuration.tickets >= DeskSimulator.Configuration.minimumTicketsToPlant }

    let itemCount = 60
    let itemWeights: [Double]
    let itemTotal: Double
    let arrivalCumulative: [Double]

    init(configuration: DeskSimulator.Configuration) {
        self.configuration = configuration
        self.random = SeededGenerator(seed: configuration.seed)
        itemWeights = (1...itemCount).map { 1 / pow(Double($0), 1.1) }
        itemTotal = itemWeights.reduce(0, +)
        // Hour-of-day profile (business hours peak) times a weekday profile.
        let hours: [Double] = [0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.2, 0.5, 1.0, 1.2, 1.15, 1.05, 0.8, 1.0, 1.1, 1.0, 0.85, 0.6, 0.35, 0.2, 0.15, 0.1, 0.08, 0.06]
        let weekdays: [Double] = [0.25, 1.0, 1.0, 1.0, 1.0, 0.95, 0.35]  // Sunday first
        var cumulative: [Double] = []
        var total = 0.0
        for day in 0..<configuration.days {
            let weekday = LocalDate(daysSinceEpoch: configuration.start.microseconds / 86_400_000_000 + Int64(day)).weekday
            for hour in 0..<24 {
                total += weekdays[weekday] * hours[hour]
                cumulative.append(total)
            }
        }
        arrivalCumulative = cumulative
    }

    func item(_ index: Int) -> String { "CI-" + (index < 9 ? "00" : "0") + String(index + 1) }
    func service(ofItem index: Int) -> String { Self.services[index % Self.services.count] }
    func category(ofItem index: Int) -> String { Self.categories[(index / Self.services.count + index) % 7] }
    func time(day: Double) -> Timestamp {
        Timestamp(microseconds: configuration.start.microseconds + Int64(day * 86_400_000_000))
    }

    /// An arrival time following the seasonality.
    mutating func arrival() -> Timestamp {
        let target = random.unit() * arrivalCumulative.last!
        var low = 0
        var high = arrivalCumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if arrivalCumulative[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return Timestamp(microseconds: configuration.start.microseconds + Int64(low) * 3_600_000_000 + Int64(random.unit() * 3_600_000_000))
    }

    /// An arrival inside business hours of `day` (fractional days from the start).
    mutating func arrival(onDay day: Int) -> Timestamp {
        time(day: Double(day) + (8 + random.unit() * 9) / 24)
    }

    struct Spec {
        var arrival: Timestamp
        var item: Int
        var caller: String
        var client: ClientRef
        var category: String?
        var firstLineSkill = 0.5
        var change: String?
    }

    mutating func script() throws -> ([ScriptedEvent], [DeskSimulator.PlantedArea], Int, Int) {
        let days = configuration.days
        let total = configuration.tickets
        var specs: [Spec] = []
        var planted: [DeskSimulator.PlantedArea] = []
        let callers = (0..<400).map { "caller-" + String(1000 + $0) }

        var extras = 0
        if planting {
            // 1. A configuration item whose incidents rise over the second half.
            let rising = 16
            let risingCount = max(8, total * 6 / 100)
            for _ in 0..<risingCount {
                let day = Double(days) / 2 + Double(days) / 2 * random.unit().squareRoot()
                let whole = min(days - 1, Int(day))
                specs.append(Spec(arrival: arrival(onDay: whole), item: rising, caller: callers[Int(random.next() % 400)], client: Self.clients[Int(random.next() % 9)], firstLineSkill: 0.2))
            }
            planted.append(.init(
                kind: .risingConfigurationItem, dimension: "ci", key: item(rising), from: time(day: Double(days / 2)),
                to: configuration.end, members: [], description: "\(item(rising)) fails more and more often over the second half"))
            // 2. A change after which one service spikes for a week.
            let changeDay = days * 6 / 10
            let billing = Self.services.firstIndex(of: "Billing")!
            let billingItems = (0..<itemCount).filter { service(ofItem: $0) == "Billing" }
            let spikeCount = max(8, total * 4 / 100)
            for _ in 0..<spikeCount {
                let day = changeDay + Int(random.next() % 7)
                let itemIndex = billingItems[Int(random.next() % UInt64(billingItems.count))]
                specs.append(Spec(arrival: arrival(onDay: min(days - 1, day)), item: itemIndex, caller: callers[Int(random.next() % 400)], client: Self.clients[Int(random.next() % 9)], change: "CHG-1042"))
            }
            planted.append(.init(
                kind: .spikeAfterChange, dimension: "service", key: Self.services[billing], from: time(day: Double(changeDay)),
                to: time(day: Double(min(days, changeDay + 7))), members: ["CHG-1042"],
                description: "Billing incidents spike in the week after change CHG-1042"))
            // 3. Callers of one client with repeat incidents on one item.
            let repeatItem = 41
            let repeaters = (1...6).map { "caller-rep-\($0)" }
            let client = ClientRef("Retail-East", kind: .outsourcedCustomer)
            let repeatCount = max(12, total * 3 / 100)
            for index in 0..<repeatCount {
                let day = Int(random.next() % UInt64(days))
                specs.append(Spec(arrival: arrival(onDay: day), item: repeatItem, caller: repeaters[index % repeaters.count], client: client, category: "Access", firstLineSkill: 0.4))
            }
            planted.append(.init(
                kind: .repeatCallers, dimension: "client", key: client.id, from: configuration.start, to: configuration.end,
                members: repeaters, description: "six Retail-East callers keep reporting Access incidents on \(item(repeatItem))"))
            extras = specs.count
            // 4. Two second-line groups that send tickets to each other and back.
            planted.append(.init(
                kind: .pingPongPair, dimension: "group", key: Self.secondLineGroups.joined(separator: " / "), from: configuration.start,
                to: configuration.end, members: Self.secondLineGroups,
                description: "the two second-line groups send one ticket in \(Int(1 / Self.pingPongChance)) to each other, and it comes back"))
            // 5. A first-line agent who parks tickets awaiting the caller.
            planted.append(.init(
                kind: .waitUserAgent, dimension: "agent", key: Self.waitUserAgent, from: configuration.start, to: configuration.end, members: [],
                description: "\(Self.waitUserAgent) suspends most tickets it solves awaiting the caller"))
        }
        for _ in 0..<max(0, total - extras) {
            let itemIndex = random.pick(weights: itemWeights, total: itemTotal)
            let callerIndex = Int(random.next() % 400)
            specs.append(Spec(arrival: arrival(), item: itemIndex, caller: callers[callerIndex], client: Self.clients[callerIndex % 9]))
        }
        specs.sort { $0.arrival < $1.arrival }

        // A problem record covering the item that fails most, opened after three weeks.
        var problems = 0
        var problemNumber: String?
        let problemOpens = time(day: min(Double(days) / 4, 21))
        if days >= 8 {
            problemNumber = "PRB-000001"
            problems = 1
            emit(problemNumber!, problemOpens, ActorRef(.agent, "problem-manager"), .problemOpened(.init(
                number: problemNumber!, title: "Recurring failures of \(item(0))", category: category(ofItem: 0),
                service: service(ofItem: 0), configurationItems: [item(0)])))
            emit(problemNumber!, Timestamp(microseconds: problemOpens.microseconds + 5 * 86_400_000_000), ActorRef(.agent, "problem-manager"),
                 .rootCauseFound(description: "firmware defect", configurationItem: item(0)))
        }

        var numbers: [TicketKind: Int] = [:]
        for spec in specs {
            let kind: TicketKind = spec.category == nil && random.chance(0.2) ? .serviceRequest : .incident
            numbers[kind, default: 0] += 1
            let number = kind.numberPrefix + "-" + String(repeating: "0", count: max(0, 6 - String(numbers[kind]!).count)) + String(numbers[kind]!)
            try scriptTicket(number: number, kind: kind, spec: spec, problem: spec.item == 0 && spec.arrival > problemOpens ? problemNumber : nil)
        }
        events.sort { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
        return (events, planted, specs.count, problems)
    }

    mutating func emit(_ stream: String, _ time: Timestamp, _ actor: ActorRef, _ body: TicketEvent, caller: String = "") {
        events.append(ScriptedEvent(time: time, sequence: sequence, stream: stream, actor: actor, event: DeskEvent(body), caller: caller))
        sequence += 1
    }

    /// One ticket's life, every step decided by the desk's own rules; steps after
    /// the period's end are left out (those tickets stay open: the backlog).
    mutating func scriptTicket(number: String, kind: TicketKind, spec: Spec, problem: String?) throws {
        var state: Ticket?
        var now = spec.arrival
        let end = configuration.end
        func after(_ seconds: Int64) -> Timestamp { Timestamp(microseconds: now.microseconds + seconds * 1_000_000) }
        @discardableResult
        func run(_ command: TicketCommand, at time: Timestamp, by actor: ActorRef) throws -> Bool {
            guard time <= end else { return false }
            now = time
            for body in try TicketCommand.decide(command, state: state, number: number, context: DecisionContext(now: time)) {
                state = Ticket.evolve(state, streamID: number, event: DeskEvent(body), occurredAt: time)
                emit(number, time, actor, body, caller: spec.caller)
            }
            return true
        }
        let channels: [Channel] = [.phone, .email, .webPortal, .chat, .walkIn, .monitoring]
        let channel = channels[random.pick(weights: [35, 25, 20, 10, 3, 7], total: 100)]
        let impact = Impact(rawValue: UInt8(1 + random.pick(weights: [1, 3, 6], total: 10)))!
        let urgency = Urgency(rawValue: UInt8(1 + random.pick(weights: [2, 4, 4], total: 10)))!
        let firstLineAgent = "fl-agent-\(1 + random.next() % 8)"
        let caller = channel == .monitoring ? ActorRef(.system, "monitoring") : ActorRef(.caller, spec.caller)
        let registeredBy = channel == .phone || channel == .walkIn ? ActorRef(.agent, firstLineAgent) : caller
        let itemName = item(spec.item)
        let service = service(ofItem: spec.item)
        try run(.register(Registration(
            kind: kind, channel: channel, caller: spec.caller, client: spec.client,
            title: kind == .incident ? "\(service) problem on \(itemName)" : "Request for \(service)",
            category: kind == .serviceRequest ? "Request" : (spec.category ?? category(ofItem: spec.item)),
            service: service, configurationItems: [itemName], impact: impact, urgency: urgency)), at: now, by: registeredBy)
        let system = ActorRef(.system, "desk")
        try run(.attachSLA(.standard), at: now, by: system)
        if let change = spec.change { try run(.link(.change, target: change), at: after(60), by: system) }
        if let problem, random.chance(0.6) { try run(.link(.problem, target: problem), at: after(120), by: ActorRef(.agent, "problem-manager")) }
        let agent = ActorRef(.agent, firstLineAgent)

        // First contact resolution: solved while the caller is still on the line.
        if [.phone, .walkIn, .chat].contains(channel), random.chance(0.3 * spec.firstLineSkill / 0.5) {
            let handle = random.duration(median: 300, spread: 0.5, low: 60, high: 1800)
            try run(.logContact(channel: channel, inbound: true, handleSeconds: UInt32(handle)), at: after(0), by: agent)
            try run(.startWork(agent: firstLineAgent), at: after(30), by: agent)
            try run(.resolve(code: "solved at first contact", kind: .fix, note: ""), at: after(handle), by: agent)
        } else {
            guard try run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: firstLineAgent, reason: "triage"), at: after(random.duration(median: 300, low: 30, high: 3600)), by: agent) else { return }
            guard try run(.startWork(agent: firstLineAgent), at: after(random.duration(median: 600, low: 60, high: 7200)), by: agent) else { return }
            if random.chance(spec.firstLineSkill) {
                let parks = planting && firstLineAgent == Self.waitUserAgent
                if random.chance(parks ? 0.7 : 0.1) {
                    guard try run(.suspend(.awaitingCaller, note: "asked the caller to try again"), at: after(random.duration(median: 900)), by: agent) else { return }
                    guard try run(.resume, at: after(random.duration(median: 4 * 3600)), by: agent) else { return }
                }
                guard try run(.resolve(code: "solved by first line", kind: .fix, note: ""), at: after(random.duration(median: 2400, low: 120, high: 3 * 86_400)), by: agent) else { return }
            } else {
                let secondGroup = Self.secondLineGroups[["Hardware", "Network", "Printing"].contains(state!.category) ? 1 : 0]
                let secondAgent = "sl-agent-\(1 + random.next() % 6)"
                guard try run(.escalate(toLine: .secondLine, group: secondGroup, department: nil, reason: "beyond first-line knowledge"), at: after(random.duration(median: 1800, low: 120, high: 86_400)), by: agent) else { return }
                if random.chance(Self.returnChance) {
                    // Sent straight back to the first line, which escalates it again.
                    guard try run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: firstLineAgent, reason: "the first line can solve this"), at: after(random.duration(median: 1800)), by: ActorRef(.agent, "sl-agent-9")) else { return }
                    guard try run(.escalate(toLine: .secondLine, group: secondGroup, department: nil, reason: "beyond first-line knowledge"), at: after(random.duration(median: 1800)), by: agent) else { return }
                }
                guard try run(.startWork(agent: secondAgent), at: after(random.duration(median: 3600, low: 60, high: 3 * 86_400)), by: ActorRef(.agent, secondAgent)) else { return }
                var holder = ActorRef(.agent, secondAgent)
                var median = 6.0 * 3600
                if planting, random.chance(Self.pingPongChance) {
                    // Planted: sent to the other second-line group, and back.
                    let other = Self.secondLineGroups.first { $0 != secondGroup }!
                    guard try run(.assign(group: other, line: .secondLine, department: nil, agent: nil, reason: "wrong group"), at: after(random.duration(median: 3600)), by: holder) else { return }
                    guard try run(.assign(group: secondGroup, line: .secondLine, department: nil, agent: secondAgent, reason: "not ours"), at: after(random.duration(median: 3600)), by: ActorRef(.agent, "sl-agent-9")) else { return }
                    guard try run(.startWork(agent: secondAgent), at: after(random.duration(median: 600)), by: holder) else { return }
                }
                if random.chance(0.35) {
                    let specialist = specialistGroup(for: service)
                    let specialistAgent = "\(specialist.department.rawValue.split(separator: " ").first!.lowercased())-\(1 + random.next() % 3)"
                    guard try run(.escalate(toLine: .specialist, group: specialist.group, department: specialist.department, reason: "needs a specialist"), at: after(random.duration(median: 4 * 3600, low: 600, high: 4 * 86_400)), by: holder) else { return }
                    if random.chance(Self.returnChance) {
                        // Sent straight back to the second line, which escalates it again.
                        guard try run(.assign(group: state!.groupHistory.dropLast().last ?? secondGroup, line: .secondLine, department: nil, agent: secondAgent, reason: "needs more information"), at: after(random.duration(median: 1800)), by: ActorRef(.agent, specialistAgent)) else { return }
                        guard try run(.escalate(toLine: .specialist, group: specialist.group, department: specialist.department, reason: "needs a specialist"), at: after(random.duration(median: 1800)), by: holder) else { return }
                    }
                    guard try run(.startWork(agent: specialistAgent), at: after(random.duration(median: 2 * 3600, low: 120, high: 3 * 86_400)), by: ActorRef(.agent, specialistAgent)) else { return }
                    holder = ActorRef(.agent, specialistAgent)
                    median = 20 * 3600
                }
                if state!.priority <= 2, random.chance(0.3) {
                    guard try run(.notifyManagement(manager: "it-manager", reason: "priority \(state!.priority) open too long"), at: after(random.duration(median: 2 * 3600)), by: holder) else { return }
                }
                if random.chance(0.15) {
                    let reason: SuspensionReason = random.chance(0.5) ? .awaitingVendor : .awaitingCaller
                    guard try run(.suspend(reason, note: ""), at: after(random.duration(median: 3600)), by: holder) else { return }
                    guard try run(.resume, at: after(random.duration(median: 8 * 3600, low: 600, high: 10 * 86_400)), by: holder) else { return }
                }
                guard try run(.logWork(agent: holder.id, minutes: UInt32(random.duration(median: 45, low: 5, high: 600))), at: after(random.duration(median: 1800)), by: holder) else { return }
                guard try run(.resolve(code: "fixed", kind: random.chance(0.2) ? .workaround : .fix, note: ""), at: after(random.duration(median: median, low: 600, high: 20 * 86_400)), by: holder) else { return }
            }
        }
        // After resolution: perhaps reopened, then closed by the system, perhaps rated.
        if random.chance(0.06) {
            guard try run(.reopen(reason: "the problem came back"), at: after(random.duration(median: 6 * 3600, low: 600, high: 4 * 86_400)), by: caller) else { return }
            guard try run(.resolve(code: "fixed again", kind: .fix, note: ""), at: after(random.duration(median: 3 * 3600, low: 600, high: 5 * 86_400)), by: ActorRef(.agent, state!.agent ?? firstLineAgent)) else { return }
        }
        let resolvedAt = now
        let breached = state!.sla.map { resolvedAt > $0.resolutionDue } ?? false
        if random.chance(0.35) {
            var score = 5 - random.pick(weights: [5, 3, 1.2, 0.5, 0.3], total: 10)
            if breached { score = max(1, score - 1 - Int(random.next() % 2)) }
            if state!.reopenCount > 0 { score = max(1, score - 1) }
            try run(.recordSatisfaction(score: UInt8(score), comment: ""), at: after(random.duration(median: 3 * 3600, low: 300, high: 2 * 86_400)), by: caller)
        }
        try run(.close(code: "confirmed"), at: Timestamp(microseconds: resolvedAt.microseconds + 2 * 86_400_000_000), by: system)
    }

    func specialistGroup(for service: String) -> (group: String, department: Department) {
        switch service {
        case "Point of Sale": Self.specialists[1]
        case "Billing": Self.specialists[4]
        case "Network", "Telephony", "Email": Self.specialists[0]
        case "Workplace": Self.specialists[3]
        default: Self.specialists[2]
        }
    }
}
