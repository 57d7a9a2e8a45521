import Benchmark
import EventLog
import Foundation
import PostgresEventLog
import Projections
import RawLMDBBaseline
import TicketLedger

// Every figure is read against the raw-LMDB baseline measured in the same run:
// docs/BENCHMARKS.md keeps the table of ratios.

let payload = [UInt8](repeating: 0x42, count: 200)
/// The size of the log's record for `event(_:)` in stream `ticket-N`: header, stream, type, actor, payload, hash.
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

/// A 1 M-event ledger written once, read by both scan benchmarks.
let scanLedger: String = {
    let path = scratch("scan")
    let log = try! EventLog(path: path, configuration: EventLogConfiguration(durability: .buffered, initialMapSize: 1 << 30))
    for batch in 0..<100 {
        _ = try! log.append((0..<10_000).map { event(batch * 10_000 + $0) }, to: "ticket-\(batch)")
    }
    log.close()
    return path
}()

let bulkEvents = 1_000_000
let singleCommits = 500
let concurrentWriters = 32
let appendsPerWriter = 100

/// `concurrentWriters` tasks appending `appendsPerWriter` single events each.
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

    // Bulk: 1 M events, 10,000 per batch (one durable commit each).
    Benchmark("bulk append 1M, raw LMDB") { benchmark in
        let path = scratch("raw-bulk")
        let raw = RawLMDB(path: path)
        let ids = (0..<bulkEvents).map { _ in EventID.make() }
        benchmark.startMeasurement()
        raw.append(first: 1, ids: ids, perCommit: 10_000, recordSize: recordSize) { "ticket-\($0 / 10_000)" }
        benchmark.stopMeasurement()
        raw.close()
        remove(path)
    }
    Benchmark("bulk append 1M, EventLog") { benchmark in
        let path = scratch("bulk")
        let log = try EventLog(path: path, configuration: EventLogConfiguration(initialMapSize: 1 << 30))
        let batches = (0..<100).map { batch in (0..<10_000).map { event(batch * 10_000 + $0) } }
        benchmark.startMeasurement()
        for (index, batch) in batches.enumerated() {
            _ = try log.append(batch, to: "ticket-\(index)")
        }
        benchmark.stopMeasurement()
        log.close()
        remove(path)
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
    Benchmark("durable single commits x\(singleCommits), raw LMDB with a proof index put") { benchmark in
        let path = scratch("raw-single-index")
        let raw = RawLMDB(path: path)
        let ids = (0..<singleCommits).map { _ in EventID.make() }
        benchmark.startMeasurement()
        raw.append(first: 1, ids: ids, perCommit: 1, recordSize: recordSize, proofIndex: true) { "ticket-\($0 % 100)" }
        benchmark.stopMeasurement()
        raw.close()
        remove(path)
    }
    Benchmark("durable single appends x\(singleCommits), EventLog") { benchmark in
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

    // 32 tasks appending one event at a time, durable: group commit.
    Benchmark("durable appends from \(concurrentWriters) tasks x\(appendsPerWriter), EventLog") { benchmark in
        let path = scratch("concurrent")
        let log = try EventLog(path: path)
        benchmark.startMeasurement()
        try await appendFromTasks(log)
        benchmark.stopMeasurement()
        log.close()
        remove(path)
    }

    // A full forward read of the same 1 M-event ledger.
    Benchmark("full scan 1M, raw LMDB cursor") { benchmark in
        let raw = RawLMDB(path: scanLedger, database: "events")
        benchmark.startMeasurement()
        let result = raw.scan()
        benchmark.stopMeasurement()
        precondition(result.count == bulkEvents)
        blackHole(result.checksum)
        raw.close()
    }
    Benchmark("full scan 1M, EventLog zero-copy") { benchmark in
        let log = try EventLog(path: scanLedger, configuration: EventLogConfiguration(access: .readOnly))
        var checksum: UInt64 = 0
        benchmark.startMeasurement()
        let count = try log.forEachRecord(from: 1) { record in
            checksum &+= record.position &+ UInt64(record.payload.count)
        }
        benchmark.stopMeasurement()
        precondition(count == bulkEvents)
        blackHole(checksum)
        log.close()
    }
    Benchmark("full read 1M, EventLog materialized") { benchmark in
        let log = try EventLog(path: scanLedger, configuration: EventLogConfiguration(access: .readOnly))
        var next: UInt64 = 1
        var checksum = 0
        benchmark.startMeasurement()
        while true {
            let events = try log.read(from: next, limit: 10_000)
            guard let last = events.last else { break }
            checksum &+= events.count
            next = last.position + 1
        }
        benchmark.stopMeasurement()
        precondition(checksum == bulkEvents)
        log.close()
    }
    Benchmark("verify 1M, EventLog") { benchmark in
        let log = try EventLog(path: scanLedger, configuration: EventLogConfiguration(access: .readOnly))
        benchmark.startMeasurement()
        let report = try log.verify()
        benchmark.stopMeasurement()
        precondition(report.isValid && report.eventsChecked == UInt64(bulkEvents))
        log.close()
    }
    // A signed checkpoint: the tree root and stream map from the proof index
    // (stored nodes, one entry per stream) and one Ed25519 signature.
    Benchmark("signed checkpoint of 1M, EventLog") { benchmark in
        let log = try EventLog(path: scanLedger, configuration: EventLogConfiguration(access: .readOnly))
        let signer = try NoteSigner(encoded: try NoteSigner.generate(name: "bench").signer)
        benchmark.startMeasurement()
        let note = try signer.sign(try log.checkpoint(origin: "bench").body)
        benchmark.stopMeasurement()
        blackHole(note)
        log.close()
    }
    // The same roots from the records alone, as `desk verify --checkpoint`
    // recomputes them (and as checkpoints were made before the proof index).
    Benchmark("checkpoint roots of 1M from the records, EventLog") { benchmark in
        let log = try EventLog(path: scanLedger, configuration: EventLogConfiguration(access: .readOnly))
        benchmark.startMeasurement()
        let proof = try log.prove(size: UInt64(bulkEvents), from: .records)
        benchmark.stopMeasurement()
        blackHole(proof.root)
        log.close()
    }

    postgresBenchmarks()
}
