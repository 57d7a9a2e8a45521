import Benchmark
import EventLog
import Foundation
import LedgerIO

// Exports of the 1 M-event simulated ledger made by Benchmarks/make-ledgers.sh,
// written to a file in 1 MiB chunks, as `desk export` does.

let directory = ProcessInfo.processInfo.environment["TICKETLEDGER_BENCH_LEDGERS"] ?? "/tmp/ticketledger-bench"

func exportToFile(_ name: String, _ body: (EventLog, (String) throws -> Void) throws -> Void) throws {
    let path = directory + "/1M"
    precondition(FileManager.default.fileExists(atPath: path + "/data.mdb"), "run Benchmarks/make-ledgers.sh first")
    let log = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
    defer { log.close() }
    let file = directory + "/export." + name
    _ = FileManager.default.createFile(atPath: file, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
    defer { try? handle.close() }
    var buffer = Data()
    try body(log) { text in
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 {
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
    try handle.write(contentsOf: buffer)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, warmupIterations: 0, maxDuration: .seconds(300), maxIterations: 3)

    Benchmark("export 1M to JSON Lines") { _ in
        try exportToFile("jsonl") { try JSONLinesExport.export($0, write: $1) }
    }
    // One ticket with its proofs, signed: its events through the stream index,
    // their inclusion proofs from the proof index's stored nodes, the stream
    // map from one entry per stream (110,001 here). Read against "scan 1M, raw
    // LMDB cursor" (ProjectionBenchmarks) and "signed checkpoint of 1M"
    // (EventLogBenchmarks). A ledger from before 0.3 needs `desk upgrade` first.
    Benchmark("export one ticket of 1M with its proofs, signed") { _ in
        let signer = try NoteSigner(encoded: try NoteSigner.generate(name: "bench").signer)
        try exportToFile("ticket.jsonl") {
            try JSONLinesExport.export($0, selection: .init(streams: ["INC-000042"]), signer: signer, write: $1)
        }
    }
    Benchmark("export 1M to XES") { _ in
        try exportToFile("xes") { try XESExport.export($0, write: $1) }
    }
}
