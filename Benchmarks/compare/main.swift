// The append workloads of EventLogBenchmarks (durable single appends, 32 tasks
// appending at once, bulk batches) as one small executable, so that two
// versions of the library can be built side by side and run in turns within
// the same minutes: Benchmarks/compare-appends.sh builds it against this
// checkout and against an older commit.
//
//   append-compare single N | tasks N | bulk N
//
// prints the milliseconds the workload took, on a fresh durable ledger in
// the temporary folder.
import EventLog
import Foundation

let payload = [UInt8](repeating: 0x42, count: 200)

func event(_ index: Int) -> ProposedEvent {
    ProposedEvent(type: "TicketUpdated", occurredAt: Timestamp(seconds: 1_700_000_000 + Int64(index)), actor: ActorRef(.agent, "agent-7"), payload: payload)
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else {
    FileHandle.standardError.write(Data("usage: append-compare single|tasks|bulk COUNT\n".utf8))
    exit(64)
}
let path = FileManager.default.temporaryDirectory.appendingPathComponent("append-compare-\(getpid())").path
try? FileManager.default.removeItem(atPath: path)
defer { try? FileManager.default.removeItem(atPath: path) }
let log = try EventLog(path: path, configuration: EventLogConfiguration(initialMapSize: 1 << 30))
// The bulk batches are made before the clock starts, as in EventLogBenchmarks.
let batches = arguments[1] == "bulk" ? (0..<count).map { batch in (0..<10_000).map { event(batch * 10_000 + $0) } } : []
let start = DispatchTime.now().uptimeNanoseconds
switch arguments[1] {
case "single":
    // One durable commit per event, 100 streams: as "durable single appends".
    for index in 0..<count { _ = try log.append([event(index)], to: "ticket-\(index % 100)") }
case "tasks":
    // 32 tasks appending COUNT single events each to a stream of their own: group commit.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<32 {
            group.addTask { for index in 0..<count { _ = try await log.append([event(index)], to: "ticket-\(writer)") } }
        }
        try await group.waitForAll()
    }
case "bulk":
    // COUNT batches of 10,000 events to a stream each, one durable commit per batch.
    for (index, batch) in batches.enumerated() { _ = try log.append(batch, to: "ticket-\(index)") }
default:
    FileHandle.standardError.write(Data("unknown workload \(arguments[1])\n".utf8))
    exit(64)
}
print(String(format: "%.1f", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
log.close()
