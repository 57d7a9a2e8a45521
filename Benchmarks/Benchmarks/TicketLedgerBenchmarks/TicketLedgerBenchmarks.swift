import Benchmark
import EventLog
import Foundation
import RawLMDBBaseline
import TicketLedger

// The domain's costs, each beside the raw-LMDB scan of the same ledger in the
// same run: docs/BENCHMARKS.md keeps the ratios.

func scratch(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tl-bench-\(name)-\(UUID().uuidString)").path
}

/// A simulated ledger of about 1 M events (110,000 tickets over a year), made once.
let simulated: (path: String, events: Int) = {
    let path = scratch("simulated")
    let outcome = try! DeskSimulator(configuration: DeskSimulator.Configuration(seed: 1, tickets: 110_000, days: 365)).generate(at: path)
    return (path, outcome.events)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 3)

    Benchmark("simulate 100,000 tickets") { benchmark in
        let path = scratch("simulate")
        benchmark.startMeasurement()
        let outcome = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 2, tickets: 100_000, days: 365)).generate(at: path)
        benchmark.stopMeasurement()
        blackHole(outcome.events)
        try? FileManager.default.removeItem(atPath: path)
    }

    Benchmark("scan simulated ledger, raw LMDB cursor") { benchmark in
        let raw = RawLMDB(path: simulated.path, database: "events")
        benchmark.startMeasurement()
        let result = raw.scan()
        benchmark.stopMeasurement()
        precondition(result.count == simulated.events)
        raw.close()
    }

    Benchmark("decode simulated ledger, every event") { benchmark in
        let log = try EventLog(path: simulated.path, configuration: EventLogConfiguration(access: .readOnly))
        var decoded = 0
        benchmark.startMeasurement()
        try log.forEachRecord(from: 1) { record in
            if try TicketEventCodec.decode(record) != nil { decoded += 1 }
        }
        benchmark.stopMeasurement()
        precondition(decoded == simulated.events)
        log.close()
    }
}
