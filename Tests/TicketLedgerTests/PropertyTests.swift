import EventLog
import LedgerBackendsTesting
import Testing
import TicketLedger
import TicketLedgerTesting

/// A plain in-memory model of a ticket's rules, written apart from `decide` and
/// `evolve`, to check them against.
struct ModelTicket: Equatable {
    var status = TicketStatus.new
    var line = SupportLine.firstLine
    var group: String?
    var agent: String?
    var resolutions = 0
    var reopens = 0
    var escalations = 0
    var managementNotices = 0
    var assignments = 0
    var score: UInt8?
    var links: Set<String> = []

    var isOpen: Bool { [.new, .assigned, .inProgress, .suspended].contains(status) }
    var isFinal: Bool { [.closed, .cancelled, .merged].contains(status) }

    /// Applies `command` if the rules allow it; returns whether they did.
    mutating func apply(_ command: TicketCommand) -> Bool {
        switch command {
        case .assign(let newGroup, let newLine, _, let newAgent, _):
            guard isOpen, !(newGroup == group && newAgent == agent && newLine == line) else { return false }
            group = newGroup
            line = newLine
            agent = newAgent
            assignments += 1
            if status != .suspended { status = .assigned }
        case .escalate(let toLine, let newGroup, _, _):
            guard isOpen, toLine > line else { return false }
            line = toLine
            group = newGroup
            agent = nil
            escalations += 1
            if status != .suspended { status = .assigned }
        case .notifyManagement:
            guard isOpen else { return false }
            managementNotices += 1
        case .startWork(let who):
            guard status == .new || status == .assigned || (status == .inProgress && agent != who) else { return false }
            agent = who
            status = .inProgress
        case .suspend:
            guard status == .assigned || status == .inProgress else { return false }
            status = .suspended
        case .resume:
            guard status == .suspended else { return false }
            status = agent == nil ? .assigned : .inProgress
        case .comment(_, let text):
            guard !isFinal, !text.isEmpty else { return false }
        case .resolve:
            guard isOpen else { return false }
            status = .resolved
            resolutions += 1
        case .reopen:
            guard status == .resolved else { return false }
            reopens += 1
            status = group == nil ? .new : .assigned
        case .close:
            guard status == .resolved else { return false }
            status = .closed
        case .cancel:
            guard isOpen else { return false }
            status = .cancelled
        case .recordSatisfaction(let value, _):
            guard status == .resolved || status == .closed, (1...5).contains(value), score == nil else { return false }
            score = value
        case .link(_, let target):
            guard status != .merged, !links.contains(target) else { return false }
            links.insert(target)
        case .unlink(_, let target):
            guard links.contains(target) else { return false }
            links.remove(target)
        default:
            return false
        }
        return true
    }

    init() {}

    init(_ ticket: Ticket) {
        status = ticket.status
        line = ticket.line
        group = ticket.group
        agent = ticket.agent
        resolutions = ticket.resolutionCount
        reopens = ticket.reopenCount
        escalations = ticket.escalationCount
        managementNotices = ticket.hierarchicalEscalationCount
        assignments = ticket.assignmentCount
        score = ticket.satisfactionScore
        links = Set(ticket.links.map(\.target))
    }
}

func randomCommand(_ random: inout SeededGenerator) -> TicketCommand {
    let groups = ["Service Desk", "2nd Line", "Billing Team"]
    let agents = ["a1", "a2"]
    let lines = SupportLine.allCases
    switch random.next() % 15 {
    case 0, 1: return .assign(group: groups[Int(random.next() % 3)], line: lines[Int(random.next() % 3)], department: nil, agent: random.chance(0.5) ? agents[Int(random.next() % 2)] : nil, reason: "")
    case 2: return .escalate(toLine: lines[Int(random.next() % 3)], group: groups[Int(random.next() % 3)], department: nil, reason: "")
    case 3: return .notifyManagement(manager: "boss", reason: "")
    case 4, 5: return .startWork(agent: agents[Int(random.next() % 2)])
    case 6: return .suspend(.awaitingCaller, note: "")
    case 7: return .resume
    case 8: return .comment(.publicReply, text: random.chance(0.9) ? "hello" : "")
    case 9: return .resolve(code: "ok", kind: .fix, note: "")
    case 10: return .reopen(reason: "")
    case 11: return .close(code: "")
    case 12: return random.chance(0.3) ? .cancel(reason: "") : .recordSatisfaction(score: UInt8(random.next() % 7), comment: "")
    case 13: return .link(.problem, target: "PRB-00000\(random.next() % 2 + 1)")
    default: return .unlink(.problem, target: "PRB-00000\(random.next() % 2 + 1)")
    }
}

@Suite("Seeded properties")
struct PropertyTests {
    @Test("random command sequences: the log's replay equals a plain model; refused commands never write", arguments: Backend.allCases, [UInt64(7), 2024])
    func randomSequences(backend: Backend, seed: UInt64) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            var random = SeededGenerator(seed: seed)
            var models: [String: ModelTicket] = [:]
            var time = Timestamp(seconds: 1_700_000_000)
            for _ in 0..<25 {
                let ticket = try await desk.register(registration, by: ActorRef(.agent, "op"), at: time)
                models[ticket.number] = ModelTicket()
            }
            let numbers = models.keys.sorted()
            var refused = 0
            for _ in 0..<800 {
                time = Timestamp(microseconds: time.microseconds + 60_000_000)
                let number = numbers[Int(random.next() % UInt64(numbers.count))]
                let command = randomCommand(&random)
                let before = try log.lastPosition()
                let allowed = models[number]!.apply(command)
                do {
                    try await desk.execute(command, on: number, by: ActorRef(.agent, "a1"), at: time)
                    #expect(allowed, "the desk accepted \(command) that the model refuses on \(number)")
                } catch {
                    refused += 1
                    #expect(!allowed, "the desk refused \(command) on \(number): \(error)")
                    #expect(try log.lastPosition() == before, "a refused command wrote")
                }
            }
            #expect(refused > 100 && refused < 700, "the mix should exercise both sides: \(refused) refused")
            for number in numbers {
                let replayed = try #require(try desk.ticket(number))
                #expect(ModelTicket(replayed) == models[number], "\(number)")
                // The stream's version is the number of events, gapless.
                #expect(try desk.history(number).map(\.version) == Array(1...replayed.version))
            }
            #expect(try log.verify().isValid)
        }
    }
}
