import Benchmark
import EventLog
import Foundation
import Projections
import RawLMDBBaseline
import TicketLedger

// Full replays of simulated ledgers of about 1 M and 10 M events into every
// standard projection and into the flow analysis, each beside the raw-LMDB scan of the same ledger in the
// same run. The ledgers are made beforehand by `Benchmarks/make-ledgers.sh`
// (a separate process, so that generating them does not count in the peak
// memory measured here) in $TICKETLEDGER_BENCH_LEDGERS (default /tmp/ticketledger-bench).

let directory = ProcessInfo.processInfo.environment["TICKETLEDGER_BENCH_LEDGERS"] ?? "/tmp/ticketledger-bench"

func ledger(_ name: String) -> String {
    let path = directory + "/" + name
    precondition(FileManager.default.fileExists(atPath: path + "/data.mdb"), "run Benchmarks/make-ledgers.sh first: no ledger at \(path)")
    return path
}

func readOnly(_ path: String) throws -> EventLog {
    try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
}

/// The replay of the ledger `name` into every standard projection, then its metrics and queues.
func replay(_ name: String) {
    Benchmark("replay \(name) into queues, KPIs and SLA") { benchmark in
        let log = try readOnly(ledger(name))
        benchmark.startMeasurement()
        let projector = try ProjectionEngine.replay(log, options: ProjectionOptions(groupBy: .service))
        blackHole(projector.metrics().total.registered)
        blackHole(projector.queues().open)
        benchmark.stopMeasurement()
        log.close()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(300),
        maxIterations: 3)

    for name in ["1M", "10M"] {
        Benchmark("scan \(name), raw LMDB cursor") { benchmark in
            let raw = RawLMDB(path: ledger(name), database: "events")
            benchmark.startMeasurement()
            blackHole(raw.scan().count)
            benchmark.stopMeasurement()
            raw.close()
        }
        Benchmark("scan \(name), raw LMDB cursor reading every byte") { benchmark in
            let raw = RawLMDB(path: ledger(name), database: "events")
            benchmark.startMeasurement()
            blackHole(raw.scanEveryByte().checksum)
            benchmark.stopMeasurement()
            raw.close()
        }
        replay(name)
        Benchmark("flow analysis of \(name) (desk flow)") { benchmark in
            let log = try readOnly(ledger(name))
            benchmark.startMeasurement()
            let report = try FlowAnalysis.run(log)
            blackHole(report.edges.count)
            blackHole(report.variantCount)
            benchmark.stopMeasurement()
            log.close()
        }
    }

    // Issue 21: the same simulated desk with its personal data sealed (1M-sealed, the
    // same seed), replayed beside the one in clear in the same run.
    replay("1M-sealed")

    Benchmark("reopen 10M from a snapshot until queues are ready") { benchmark in
        let path = ledger("10M")
        let log = try readOnly(path)
        let store = SnapshotStore(directory: directory + "/snapshots")
        if store.load(options: ProjectionOptions(), log: log) == nil {
            try store.save(try ProjectionEngine.replay(log), log: log)
        }
        log.close()
        benchmark.startMeasurement()
        let reopened = try readOnly(path)
        let snapshot = store.load(options: ProjectionOptions(), log: reopened)
        let projector = try ProjectionEngine.replay(reopened, from: snapshot)
        blackHole(projector.queues().open)
        benchmark.stopMeasurement()
        precondition(snapshot != nil)
        reopened.close()
    }
}
