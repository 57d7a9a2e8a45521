import Benchmark
import EventLog
import Foundation
import PostgresEventLog
import Projections
import RawLMDBBaseline
import TicketLedger

// The PostgreSQL backend beside LMDB, in the same run: durable appends from one
// writer and from 32 concurrent tasks, and a full replay of a simulated desk.
// Needs TICKETLEDGER_POSTGRES_URL: `make benchmarks` starts a throwaway cluster
// with PostgreSQL's default durability (fsync, synchronous_commit) on loopback.

let payload = [UInt8](repeating: 0x42, count: 200)
let recordSize = 96 + 8 + 13 + 7 + 200 + 32

func event(_ index: Int) -> ProposedEvent {
    ProposedEvent(type: "TicketUpdated", occurredAt: Timestamp(seconds: 1_700_000_000 + Int64(index)), actor: ActorRef(.agent, "agent-7"), payload: payload)
}

func scratch(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tl-bench-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

let serverURL = ProcessInfo.processInfo.environment["TICKETLEDGER_POSTGRES_URL"]

/// A fresh schema on the benchmark server.
func freshURL(_ label: String) -> String {
    let base = serverURL!
    return "\(base)\(base.contains("?") ? "&" : "?")schema=bench_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
}

/// A simulated desk of 20,000 tickets (about 190,000 events) in LMDB, and the
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

let singleCommits = 500
let concurrentWriters = 32
let appendsPerWriter = 100

func appendFromTasks(_ log: any EventStore) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<concurrentWriters {
            group.addTask {
                for index in 0..<appendsPerWriter {
                    _ = try await log.append([event(index)], to: "ticket-\(writer)")
                }
            }
        }
        try await group.waitForAll()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(60),
        maxIterations: 3)
    guard serverURL != nil else {
        print("PostgresBenchmarks: TICKETLEDGER_POSTGRES_URL is not set (run `make benchmarks`, which starts a server); nothing measured")
        return
    }

    // One durable writer, one event per commit.
    Benchmark("durable single commits x\(singleCommits), raw LMDB") { benchmark in
        let path = scratch("raw-single")
        let raw = RawLMDB(path: path)
        let ids = (0..<singleCommits).map { _ in EventID.make() }
        benchmark.startMeasurement()
        raw.append(first: 1, ids: ids, perCommit: 1, recordSize: recordSize) { "ticket-\($0 % 100)" }
        benchmark.stopMeasurement()
        raw.close()
        remove(path)
    }
    Benchmark("durable single appends x\(singleCommits), EventLog (LMDB)") { benchmark in
        let path = scratch("single")
        let log = try EventLog(path: path)
        benchmark.startMeasurement()
        for index in 0..<singleCommits {
            _ = try log.append([event(index)], to: "ticket-\(index % 100)")
        }
        benchmark.stopMeasurement()
        log.close()
        remove(path)
    }
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
    Benchmark("durable appends from \(concurrentWriters) tasks x\(appendsPerWriter), EventLog (LMDB)") { benchmark in
        let path = scratch("concurrent")
        let log = try EventLog(path: path)
        benchmark.startMeasurement()
        try await appendFromTasks(log)
        benchmark.stopMeasurement()
        log.close()
        remove(path)
    }
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
