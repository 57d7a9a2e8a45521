import EventLog
import MetricsTestKit
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

    @Test("waitUntil(position:) returns once one's own write is projected, at once when it is; a cancelled or stopped wait throws")
    func readYourWrites() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            let desk = Desk(log: log)
            try await buildScenario(desk)
            let live = LiveProjection(log: log)
            let task = Task { try await live.run() }
            for index in 0..<20 {
                let ticket = try await desk.register(
                    Registration(channel: .chat, caller: "c\(index)", title: "t", category: "Access", service: "VPN"),
                    by: ActorRef(.agent, "op"), at: minute(4000 + Int64(index)))
                try await live.waitUntil(position: try log.lastPosition())
                // No polling: the write is there on the first read, without copying the projector.
                #expect(live.read { $0.ticket(ticket.number) } != nil, "\(ticket.number)")
            }
            let last = try log.lastPosition()
            try await live.waitUntil(position: last - 5)  // long applied: returns at once
            #expect(live.read { $0.position } == last)

            // A wait for a position nobody writes: cancelling the waiting task ends it.
            let cancelled = Task { try await live.waitUntil(position: last + 1000) }
            try await Task.sleep(for: .milliseconds(50))
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            // The projection stopping ends the others.
            let stranded = Task { try await live.waitUntil(position: last + 1000) }
            try await Task.sleep(for: .milliseconds(50))
            task.cancel()
            _ = try? await task.value
            await #expect(throws: CancellationError.self) { try await stranded.value }
            await #expect(throws: CancellationError.self) { try await live.waitUntil(position: last + 1) }
            try await live.waitUntil(position: last)  // what it reached still answers
        }
    }

    @Test("a live projection reports its position, the events it applied and its lag")
    func metrics() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            let desk = Desk(log: log)
            try await buildScenario(desk)
            let caughtUp = try log.lastPosition()
            let metrics = TestMetrics()
            let live = LiveProjection(log: log, metricsFactory: metrics)
            let task = Task { try await live.run() }
            defer { task.cancel() }
            func waitFor(_ position: UInt64) async throws {
                for _ in 0..<500 where live.current.position < position { try await Task.sleep(for: .milliseconds(10)) }
                try #require(live.current.position == position)
            }
            try await waitFor(caughtUp)
            // Caught up by a replay: no event through the subscription yet, and no lag.
            for _ in 0..<500 where (try? metrics.expectGauge(LedgerMetricLabel.projectionLag)) == nil { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try metrics.expectGauge(LedgerMetricLabel.projectionLag).values == [0])
            #expect(try metrics.expectGauge(LedgerMetricLabel.projectionPosition).lastValue == Double(caughtUp))

            // Events while it follows: counted, and the position follows them.
            try await Task.sleep(for: .milliseconds(1100))  // the lag is measured again a second on
            _ = try await desk.register(
                Registration(channel: .chat, caller: "c", title: "t", category: "Access", service: "VPN"), by: ActorRef(.agent, "op"), at: minute(4000))
            let last = try log.lastPosition()
            try await waitFor(last)
            for _ in 0..<500 where (try? metrics.expectCounter(LedgerMetricLabel.projectionEvents).totalValue) != Int64(last - caughtUp) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try metrics.expectCounter(LedgerMetricLabel.projectionEvents).totalValue == Int64(last - caughtUp))
            #expect(try metrics.expectGauge(LedgerMetricLabel.projectionPosition).lastValue == Double(last))
            let lags = try metrics.expectGauge(LedgerMetricLabel.projectionLag).values
            #expect(lags.count >= 2)
            #expect(lags.allSatisfy { $0 >= 0 && $0 < Double(last - caughtUp) })
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
