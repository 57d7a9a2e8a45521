import Benchmark
import EventLog
import Foundation
import LedgerIO
import RawLMDBBaseline
import TicketLedger

// Importing a 1 M-row CSV (helpdesk.csv repeated, made by Benchmarks/make-ledgers.sh)
// beside the raw LMDB bulk append of as many events (the log's three puts, 10,000
// per durable commit), in the same run.

let directory = ProcessInfo.processInfo.environment["TICKETLEDGER_BENCH_LEDGERS"] ?? "/tmp/ticketledger-bench"

func scratch(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tl-bench-\(name)-\(UUID().uuidString)").path
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, warmupIterations: 0, maxDuration: .seconds(300), maxIterations: 3)

    Benchmark("raw LMDB bulk append, 1M events of 330 bytes") { benchmark in
        let path = scratch("raw")
        let raw = RawLMDB(path: path)
        let ids = (0..<1_000_000).map { _ in EventID.make() }
        benchmark.startMeasurement()
        raw.append(first: 1, ids: ids, perCommit: 10_000, recordSize: 330) { "Case \($0 / 5)" }
        benchmark.stopMeasurement()
        raw.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    Benchmark("import 1M-row helpdesk CSV") { benchmark in
        let file = directory + "/helpdesk-1M.csv"
        precondition(FileManager.default.fileExists(atPath: file), "run Benchmarks/make-ledgers.sh first")
        let path = scratch("import")
        let log = try EventLog(path: path, configuration: EventLogConfiguration(initialMapSize: 1 << 30))
        benchmark.startMeasurement()
        let result = try CSVImport.importFile(file, mapping: try ImportMapping.preset("helpdesk"), into: log)
        benchmark.stopMeasurement()
        precondition(result.events == 1_000_000)
        log.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    // Issue 21: the cost of sealing personal data, in the same run. The helpdesk
    // mapping with its `customer` column as the caller (397 callers): every event
    // carries the caller, and a registration its title; in clear, then sealed.
    for sealed in [false, true] {
        Benchmark("import 1M-row helpdesk CSV, customer as caller, \(sealed ? "sealed" : "in clear")") { benchmark in
            let file = directory + "/helpdesk-1M.csv"
            precondition(FileManager.default.fileExists(atPath: file), "run Benchmarks/make-ledgers.sh first")
            var mapping = try ImportMapping.preset("helpdesk")
            mapping.attributes["customer"] = "caller"
            let path = scratch("import-caller")
            let log = try EventLog(path: path, configuration: EventLogConfiguration(initialMapSize: 1 << 30))
            let personalData = sealed ? PersonalData(keys: try SubjectKeyDirectory(path: path + ".keys", create: true)) : nil
            benchmark.startMeasurement()
            let result = try CSVImport.importFile(file, mapping: mapping, into: log, personalData: personalData)
            benchmark.stopMeasurement()
            precondition(result.events == 1_000_000)
            log.close()
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".keys")
        }
    }
}
