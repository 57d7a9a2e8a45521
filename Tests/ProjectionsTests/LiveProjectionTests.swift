import EventLog
import Projections
import LedgerBackendsTesting
import Testing
import TicketLedger
import TicketLedgerTesting

@Suite("Live projection")
struct LiveProjectionTests {
    @Test("a live projection follows new events and equals a replay; it restarts from its snapshot")
    func follows() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            let desk = Desk(log: log)
            try await buildScenario(desk)
            let store = SnapshotStore(directory: path + "/snapshots")
            let live = LiveProjection(log: log, store: store, snapshotEvery: 10)
            let task = Task { try await live.run() }
            // New tickets while it runs.
            for index in 0..<20 {
                _ = try await desk.register(
                    Registration(channel: .chat, caller: "c\(index)", title: "t", category: "Access", service: "VPN"),
                    by: ActorRef(.agent, "op"), at: minute(4000 + Int64(index)))
            }
            let last = try log.lastPosition()
            for _ in 0..<200 where live.current.position < last {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(live.current.position == last)
            let replayed = try ProjectionEngine.replay(log)
            #expect(Views(live.current, now: minute(5000)) == Views(replayed, now: minute(5000)))
            task.cancel()
            _ = try? await task.value
            // A new instance starts from the snapshot saved on the way out.
            let restarted = LiveProjection(log: log, store: store)
            #expect(restarted.current.position == last)
        }
    }

    @Test("closed tickets leave memory after the retention period", arguments: Backend.allCases)
    func retention(backend: Backend) async throws {
        try await withLedger(backend) { log in
            let desk = Desk(log: log)
            try await buildScenario(desk)
            // A is closed at minute 2880; 8 days later (past the 7-day retention) one more event makes it leave.
            _ = try await desk.register(
                Registration(channel: .chat, caller: "c", title: "later", category: "Access", service: "VPN"),
                by: ActorRef(.agent, "op"), at: minute(2880 + 8 * 1440))
            let projector = try ProjectionEngine.replay(log)
            #expect(projector.ticket("INC-000001") == nil)
            #expect(projector.ticket("INC-000004") != nil)  // still open
            #expect(projector.trackedTicketCount == 4)
            // The KPIs still count it.
            #expect(projector.metrics().total.closed == 1)
        }
    }
}
