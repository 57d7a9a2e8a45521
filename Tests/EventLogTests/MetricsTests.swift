import EventLog
import PostgresEventLog
import LedgerBackendsTesting
import MetricsTestKit
import Testing
import TicketLedgerTesting

@Suite("Metrics")
struct MetricsTests {
    @Test("appends report their duration, each group commit's appends and events, and failures; LMDB its map's size and use", arguments: Backend.allCases)
    func appendMetrics(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let metrics = TestMetrics()
            var configuration = EventLogConfiguration()
            configuration.metricsFactory = metrics
            let log = try openEventStore(at: path, configuration: configuration)
            defer { log.close() }
            let first = sampleEvent("a")
            _ = try await log.append([first], to: "s")
            _ = try await log.append([sampleEvent("b"), sampleEvent("c")], to: "s")
            // Refused (the stream is at 3), and a retry of a stored batch: neither writes.
            #expect(throws: EventLogError.self) { try log.append([sampleEvent("d")], to: "s", expecting: .exactly(1)) }
            #expect(try await log.append([first], to: "s").wasAlreadyStored)

            let dimensions = [("backend", backend == .lmdb ? "lmdb" : "postgresql")]
            let durations = try metrics.expectTimer(LedgerMetricLabel.appendDuration, dimensions).values
            #expect(durations.count == 4)
            #expect(durations.allSatisfy { $0 > 0 })
            #expect(try metrics.expectRecorder(LedgerMetricLabel.commitAppends, dimensions).values == [1, 1, 1, 1])
            #expect(try metrics.expectRecorder(LedgerMetricLabel.commitEvents, dimensions).values == [1, 2, 0, 0])
            #expect(try metrics.expectCounter(LedgerMetricLabel.appendFailures, dimensions).totalValue == 1)
            if backend == .lmdb {
                let size = try #require(try metrics.expectGauge(LedgerMetricLabel.mapSize).lastValue)
                let used = try #require(try metrics.expectGauge(LedgerMetricLabel.mapUsed).lastValue)
                #expect(size == Double(64 << 20))
                #expect(used > 0 && used < size)
            }
        }
    }

    @Test("concurrent appends that share a commit are recorded as one group")
    func groupSize() async throws {
        try await withTemporaryDirectory { folder in
            let metrics = TestMetrics()
            var configuration = EventLogConfiguration()
            configuration.metricsFactory = metrics
            let log = try EventLog(path: folder + "/ledger", configuration: configuration)
            defer { log.close() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<32 {
                    group.addTask { _ = try await log.append([sampleEvent("e\(index)")], to: "s\(index)") }
                }
                try await group.waitForAll()
            }
            let groups = try metrics.expectRecorder(LedgerMetricLabel.commitAppends, [("backend", "lmdb")]).values
            let events = try metrics.expectRecorder(LedgerMetricLabel.commitEvents, [("backend", "lmdb")]).values
            #expect(groups.reduce(0, +) == 32)
            #expect(events == groups)
            #expect(try metrics.expectTimer(LedgerMetricLabel.appendDuration, [("backend", "lmdb")]).values.count == 32)
        }
    }
}
