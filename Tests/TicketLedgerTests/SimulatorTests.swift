import EventLog
import Testing
import TicketLedger
import TicketLedgerTesting

/// Replays every stream of a ledger into tickets.
func replayTickets(_ log: EventLog) throws -> [String: Ticket] {
    var tickets: [String: Ticket] = [:]
    for recorded in try log.read(from: 1, limit: .max) where !recorded.streamID.hasPrefix("PRB-") {
        if let event = try TicketEventCodec.decode(recorded) {
            tickets[recorded.streamID] = Ticket.evolve(tickets[recorded.streamID], streamID: recorded.streamID, event: event, occurredAt: recorded.event.occurredAt)
        }
    }
    return tickets
}

@Suite("Simulator")
struct SimulatorTests {
    @Test("the same seed gives a byte-identical ledger; another seed does not")
    func reproducible() async throws {
        try await withTemporaryDirectory { path in
            let configuration = DeskSimulator.Configuration(seed: 11, tickets: 400, days: 30)
            let first = try DeskSimulator(configuration: configuration).generate(at: path + "/a")
            let second = try DeskSimulator(configuration: configuration).generate(at: path + "/b")
            let other = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 12, tickets: 400, days: 30)).generate(at: path + "/c")
            #expect(first.head == second.head)
            #expect(first.events == second.events)
            #expect(first.head != other.head)
            #expect(first.tickets == 400)
        }
    }

    @Test("a realistic desk: first-line resolution, escalations, suspensions, reopens, SLA breaches, satisfaction")
    func realism() async throws {
        try await withTemporaryDirectory { path in
            let outcome = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 3, tickets: 2000, days: 60)).generate(at: path)
            let log = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            #expect(try log.verify().isValid)
            let tickets = try replayTickets(log)
            #expect(tickets.count == outcome.tickets)
            let resolved = tickets.values.filter { $0.resolutionCount > 0 }
            let firstLine = resolved.filter { !$0.wasEscalated }
            let share = Double(firstLine.count) / Double(resolved.count)
            #expect((0.55...0.75).contains(share), "first-line resolution \(share)")
            #expect(tickets.values.contains { $0.line == .specialist })
            #expect(tickets.values.contains { $0.suspendedMicroseconds > 0 })
            #expect(tickets.values.contains { $0.reopenCount > 0 })
            #expect(tickets.values.contains { $0.hasPingPong })
            #expect(tickets.values.contains { $0.satisfactionScore != nil })
            #expect(tickets.values.contains { t in t.sla.map { sla in (t.resolvedAt ?? .now()) > sla.resolutionDue } ?? false })
            #expect(tickets.values.contains { $0.status.isOpen }, "tickets still open at the end make the backlog")
            #expect(Set(tickets.values.map(\.channel)).count == 6)
            // A few configuration items cause most incidents.
            var perItem: [String: Int] = [:]
            for ticket in tickets.values { perItem[ticket.configurationItems[0], default: 0] += 1 }
            let top = perItem.values.sorted(by: >).prefix(10).reduce(0, +)
            #expect(Double(top) / Double(tickets.count) > 0.4)
        }
    }

    @Test("planted problem areas are recorded; a control run plants none")
    func plants() async throws {
        try await withTemporaryDirectory { path in
            let planted = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 5, tickets: 1000, days: 60)).generate(at: path + "/planted")
            #expect(planted.planted.map(\.kind) == [.risingConfigurationItem, .spikeAfterChange, .repeatCallers, .pingPongPair, .waitUserAgent])
            #expect(planted.planted.map(\.key) == ["CI-017", "Billing", "Retail-East", "2nd Line Applications / 2nd Line Infrastructure", "fl-agent-3"])
            let control = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 5, tickets: 1000, days: 60, plantProblems: false)).generate(at: path + "/control")
            #expect(control.planted.isEmpty)
            // The rising item really rises: more incidents in the last quarter than in the third.
            let log = try EventLog(path: path + "/planted", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            let tickets = try replayTickets(log).values.filter { $0.configurationItems == ["CI-017"] }
            let start = DeskSimulator.Configuration().start.microseconds
            func quarter(_ ticket: Ticket) -> Int64 { (ticket.registeredAt.microseconds - start) / (15 * 86_400_000_000) }
            #expect(tickets.filter { quarter($0) == 3 }.count > tickets.filter { quarter($0) == 2 }.count)
        }
    }
}
