import EventLog
import MetricsTestKit
import Synchronization
@testable import TicketLedger
import LedgerBackendsTesting
import Testing
import TicketLedgerTesting

@Suite("Desk")
struct DeskTests {
    @Test("numbers are handed out per kind from 1, and learned again by a new Desk", arguments: Backend.allCases)
    func numbering(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            let agent = ActorRef(.agent, "op")
            let first = try await desk.register(registration, by: agent)
            let second = try await desk.register(registration, by: agent)
            var request = registration
            request.kind = .serviceRequest
            let third = try await desk.register(request, by: agent)
            #expect([first.number, second.number, third.number] == ["INC-000001", "INC-000002", "REQ-000001"])
            for _ in 0..<5 { _ = try await desk.register(registration, by: agent) }
            let again = Desk(log: log)
            #expect(try await again.register(registration, by: agent).number == "INC-000008")
            let problem = try await desk.openProblem(title: "Tills freeze", category: "Hardware", service: "POS", configurationItems: ["POS-4"], by: agent)
            #expect(problem.number == "PRB-000001")
            try await desk.execute(.recordKnownError(description: "freeze", workaround: "reboot"), onProblem: problem.number, by: agent)
            #expect(try desk.problem("PRB-000001")?.status == .knownError)
        }
    }

    @Test("two tasks changing one ticket at once: one conflicts, retries, and both changes land", arguments: Backend.allCases)
    func concurrentChanges(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let metrics = TestMetrics()
            var configuration = Desk.Configuration()
            configuration.metricsFactory = metrics
            let desk = Desk(log: log, configuration: configuration)
            let ticket = try await desk.register(registration, by: ActorRef(.agent, "op"))
            // Hold both tasks between deciding and appending, so they decide on the same version.
            let waiting = Mutex(0)
            desk.afterDecide.withLock { hook in
                hook = {
                    let first = waiting.withLock { count -> Bool in
                        count += 1
                        return count <= 2
                    }
                    if first { try? await Task.sleep(for: .milliseconds(300)) }
                }
            }
            async let assigned = desk.execute(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: ""), on: ticket.number, by: ActorRef(.agent, "op-1"))
            async let commented = desk.execute(.comment(.internalNote, text: "caller called again"), on: ticket.number, by: ActorRef(.agent, "op-2"))
            _ = try await (assigned, commented)
            #expect(desk.conflictRetries == 1)
            #expect(try metrics.expectCounter(LedgerMetricLabel.conflictRetries).totalValue == 1)
            let history = try desk.history(ticket.number)
            #expect(history.map(\.type).sorted() == ["CommentAdded", "TicketAssigned", "TicketRegistered"])
            #expect(history.map(\.version) == [1, 2, 3])
            #expect(try desk.ticket(ticket.number)?.group == "Service Desk")
        }
    }

    @Test("a retried command with the same idempotency key returns the first result and writes nothing; a key is one command's", arguments: Backend.allCases)
    func idempotencyKeys(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            let agent = ActorRef(.agent, "op")
            let first = try await desk.register(registration, by: agent, idempotencyKey: "req-1")
            let head = try log.lastPosition()
            // The retry, also from a new Desk (another process after a restart).
            let retried = try await desk.register(registration, by: agent, idempotencyKey: "req-1")
            let elsewhere = try await Desk(log: log).register(registration, by: agent, idempotencyKey: "req-1")
            #expect(retried == first && elsewhere == first)
            #expect(try log.lastPosition() == head)
            // Without a key, or with another, a second ticket.
            #expect(try await desk.register(registration, by: agent, idempotencyKey: "req-2").number == "INC-000002")
            let assign = TicketCommand.assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op", reason: "")
            let assigned = try await desk.execute(assign, on: first.number, by: agent, idempotencyKey: "assign-1")
            let afterAssign = try log.lastPosition()
            // Changed since by another command: the retry still answers as the first call left it.
            try await desk.execute(.startWork(agent: "op"), on: first.number, by: agent)
            let again = try await desk.execute(assign, on: first.number, by: agent, idempotencyKey: "assign-1")
            #expect(again == assigned)
            #expect(again.version == assigned.version)
            #expect(try log.lastPosition() == afterAssign + 1)
            // The same key on another ticket is refused, and writes nothing.
            let misused = await #expect(throws: DeskError.self) {
                try await desk.execute(assign, on: "INC-000002", by: agent, idempotencyKey: "assign-1")
            }
            #expect(misused?.code == .invalidArgument && misused?.message.contains("was used for \(first.number)") == true, "\(misused?.message ?? "")")
            #expect(try log.lastPosition() == afterAssign + 1)
        }
    }

    @Test("eight tasks registering with one idempotency key at once make one ticket", arguments: Backend.allCases)
    func concurrentIdempotentRegistrations(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await desk.register(registration, by: ActorRef(.agent, "op"), idempotencyKey: "once").number }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(numbers == ["INC-000001"])
            #expect(try log.streamVersion("INC-000002") == 0)
        }
    }

    @Test("an event of a type this library does not know is kept in the history and skipped by evolve", arguments: Backend.allCases)
    func unknownEvents(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            let ticket = try await desk.register(registration, by: ActorRef(.agent, "op"))
            _ = try await log.append([ProposedEvent(type: "TicketTeleported", schemaVersion: 3, occurredAt: .now(), payload: [9, 9])], to: ticket.number, expecting: .exactly(1))
            let history = try desk.history(ticket.number)
            #expect(history.count == 2)
            #expect(history[1].type == "TicketTeleported")
            #expect(history[1].event == nil)
            let state = try #require(try desk.ticket(ticket.number))
            #expect(state.status == .new)
            #expect(state.version == 2)
            // Commands still work: the unknown event counts for the version.
            let assigned = try await desk.execute(.assign(group: "G", line: .firstLine, department: nil, agent: nil, reason: ""), on: ticket.number, by: ActorRef(.agent, "op"))
            #expect(assigned.version == 3)
        }
    }

    @Test("the desk model is ledger metadata", arguments: Backend.allCases)
    func deskModel(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            #expect(try desk.deskDescription() == nil)
            try await desk.describe(name: "Retail IT", model: .centralised, by: ActorRef(.agent, "admin"))
            try await desk.describe(name: "Retail IT", model: .virtual, by: ActorRef(.agent, "admin"))
            let description = try #require(try desk.deskDescription())
            #expect(description.name == "Retail IT")
            #expect(description.model == .virtual)
            #expect(description.createdBy == TicketLedgerVersion.current)
        }
    }

    @Test("a refused command explains itself and writes nothing", arguments: Backend.allCases)
    func refused(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            let ticket = try await desk.register(registration, by: ActorRef(.agent, "op"))
            let before = try log.lastPosition()
            await #expect(throws: DeskError.self) {
                try await desk.execute(.close(code: ""), on: ticket.number, by: ActorRef(.agent, "op"))
            }
            let missing = await #expect(throws: DeskError.self) {
                try await desk.execute(.resume, on: "INC-999999", by: ActorRef(.agent, "op"))
            }
            #expect(missing?.code == .notFound)
            #expect(try log.lastPosition() == before)
        }
    }
}
