import Benchmark
import EventLog
import Foundation
import PostgresEventLog
import Projections
import TicketLedger

// The PostgreSQL backend beside LMDB, in the same run: durable appends from one
// writer and from 32 concurrent tasks (the LMDB ones are in EventLogBenchmarks.swift),
// and a full replay of a simulated desk on both. Needs TICKETLEDGER_POSTGRES_URL:
// `make benchmarks` starts a throwaway cluster with PostgreSQL's default
// durability (fsync, synchronous_commit) on loopback; without it they are not run.

let serverURL = ProcessInfo.processInfo.environment["TICKETLEDGER_POSTGRES_URL"]

/// A fresh schema on the benchmark server.
func freshURL(_ label: String) -> String {
    let base = serverURL!
    return "\(base)\(base.contains("?") ? "&" : "?")schema=bench_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
}

/// A simulated desk of 20,000 tickets (172,908 events) in LMDB, and the
/// same records copied into PostgreSQL: both replays read identical ledgers.
let replayLedgers: (lmdb: String, postgres: String) = {
    let path = scratch("replay")
    let outcome = try! DeskSimulator(configuration: DeskSimulator.Configuration(seed: 1, tickets: 20_000, days: 365)).generate(at: path)
    let url = freshURL("replay")
    let source = try! EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
    let destination = try! PostgresEventLog(url: url)
    let copy = try! source.copy(to: destination, batchSize: 10_000)
    precondition(copy.head.position == UInt64(outcome.events))
    source.close()
    destination.close()
    return (path, url)
}()

/// The PostgreSQL backend beside the LMDB figures of this run.
func postgresBenchmarks() {
    guard serverURL != nil else {
        print("PostgresBenchmarks: TICKETLEDGER_POSTGRES_URL is not set (run `make benchmarks`, which starts a server); nothing measured")
        return
    }

    // One durable writer, one event per commit.
    Benchmark("durable single appends x\(singleCommits), PostgresEventLog") { benchmark in
        let log = try PostgresEventLog(url: freshURL("single"))
        benchmark.startMeasurement()
        for index in 0..<singleCommits {
            _ = try log.append([event(index)], to: "ticket-\(index % 100)")
        }
        benchmark.stopMeasurement()
        log.close()
    }

    // 32 tasks appending one event at a time, durable: group commit.
    Benchmark("durable appends from \(concurrentWriters) tasks x\(appendsPerWriter), PostgresEventLog") { benchmark in
        let log = try PostgresEventLog(url: freshURL("concurrent"))
        benchmark.startMeasurement()
        try await appendFromTasks(log)
        benchmark.stopMeasurement()
        log.close()
    }

    // A full replay into queues, KPIs and SLA of the same simulated desk.
    Benchmark("full replay of a simulated desk, EventLog (LMDB)") { benchmark in
        let log = try EventLog(path: replayLedgers.lmdb, configuration: EventLogConfiguration(access: .readOnly))
        benchmark.startMeasurement()
        let projector = try ProjectionEngine.replay(log)
        benchmark.stopMeasurement()
        blackHole(projector.position)
        log.close()
    }
    Benchmark("full replay of a simulated desk, PostgresEventLog") { benchmark in
        let log = try PostgresEventLog(url: replayLedgers.postgres, access: .readOnly)
        benchmark.startMeasurement()
        let projector = try ProjectionEngine.replay(log)
        benchmark.stopMeasurement()
        blackHole(projector.position)
        log.close()
    }
    Benchmark("full scan of a simulated desk, PostgresEventLog") { benchmark in
        let log = try PostgresEventLog(url: replayLedgers.postgres, access: .readOnly)
        var checksum: UInt64 = 0
        benchmark.startMeasurement()
        try log.forEachRecord(from: 1) { checksum &+= $0.position }
        benchmark.stopMeasurement()
        blackHole(checksum)
        log.close()
    }
}
