// An analyst's replay: open a ledger read-only, replay it as of the end of each
// month, and show how the top problem areas moved.
//
//   swift run analyst-replay [LEDGER]     (without a ledger: a simulated one in a temporary folder)
import EventLog
import Foundation
import Projections
import TicketLedger

var path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
let simulated = path.isEmpty
if simulated {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("analyst-replay-\(getpid())").path
    _ = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 1, tickets: 3_000, days: 120)).generate(at: path)
    print("Simulated 3,000 tickets over 120 days")
}
// A ledger that cannot be opened (no such folder, not a ledger) is said in one line, not a crash.
let log: EventLog
do {
    log = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
} catch {
    FileHandle.standardError.write(Data("\(CommandLine.arguments[0]): \(path): \(error)\n".utf8))
    exit(1)
}
defer {
    log.close()
    if simulated { try? FileManager.default.removeItem(atPath: path) }
}

// The month ends the ledger spans.
var first: Timestamp?
var last: Timestamp?
try log.forEachRecord(from: 1) { record in
    first = min(first ?? record.occurredAt, record.occurredAt)
    last = max(last ?? record.occurredAt, record.occurredAt)
}
guard let first, let last else {
    print("The ledger is empty.")
    exit(0)
}
var moments: [Timestamp] = []
var month = Period.month.period(of: first).start
while month < last {
    // The first moment of the next month, minus one microsecond.
    let next = Period.month.period(of: Timestamp(microseconds: month.microseconds + 32 * 86_400_000_000)).start
    moments.append(Timestamp(microseconds: min(next.microseconds, last.microseconds + 1) - 1))
    month = next
}

print("Top 5 configuration items by incidents, as of the end of each month (the whole history up to then):")
var previous: [String: Int] = [:]
for moment in moments {
    var options = ProjectionOptions(asOf: moment)
    options.problemAreas = ProblemAreaOptions(dimension: .ci, period: .week)
    let areas = try ProjectionEngine.replay(log, options: options).problemAreas()
    let top = areas.areas.prefix(5).map { area -> String in
        let change = area.incidents - (previous[area.key] ?? 0)
        return "\(area.key) \(area.incidents) (+\(change))"
    }
    let rising = Set(areas.emerging.map(\.key)).sorted()
    print("\(moment.description.prefix(10)): \(top.joined(separator: ", "))\(rising.isEmpty ? "" : "; rising: \(rising.joined(separator: ", "))")")
    previous = Dictionary(uniqueKeysWithValues: areas.areas.map { ($0.key, $0.incidents) })
}
