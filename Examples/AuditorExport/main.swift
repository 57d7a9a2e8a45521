// An auditor's export: one ticket's history and one month's, as JSON Lines with
// the record bytes and hashes, each verified offline (without the ledger).
//
//   swift run auditor-export [LEDGER] [TICKET]     (without a ledger: a simulated one in a temporary folder)
import EventLog
import Foundation
import LedgerIO
import TicketLedger

var path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
let work = FileManager.default.temporaryDirectory.appendingPathComponent("auditor-export-\(getpid())").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
if path.isEmpty {
    path = work + "/ledger"
    _ = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 2, tickets: 1_000, days: 60)).generate(at: path)
}
let ticket = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "INC-000042"
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
    try? FileManager.default.removeItem(atPath: work)
}

// The owner's key: made once, its signer half kept out of the ledger, its verifier half published.
let (signerKey, verifierKey) = try NoteSigner.generate(name: "desk.example.com/ledger")
let signer = try NoteSigner(encoded: signerKey)
let verifier = try NoteVerifier(encoded: verifierKey)

func exportAndVerify(_ title: String, _ selection: JSONLinesExport.Selection) throws {
    var lines: [String] = []
    let count = try JSONLinesExport.export(log, selection: selection, signer: signer) { lines.append(String($0.dropLast())) }
    let file = work + "/" + title.filter { $0.isLetter || $0.isNumber } + ".jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    // Offline: only the file.
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let check = ExportVerifier.verify(lines: text.split(separator: "\n").map(String.init), key: verifier)
    let complete = check.completeStreams.isEmpty ? "" : ", complete: \(check.completeStreams.joined(separator: ", "))"
    print("\(title): \(count) events exported and \(check.isValid ? "verified offline\(complete)" : "found INVALID at line \(check.firstBadLine ?? 0): \(check.problem ?? "")")")
}

try exportAndVerify("ticket \(ticket)", JSONLinesExport.Selection(streams: [ticket]))
let head = try log.head()
print("The ledger's chain head: position \(head.position), \(head.hashHex)")
// The first month of the ledger.
guard let firstEvent = try log.event(at: 1) else { exit(0) }
let start = monthStart(firstEvent.event.occurredAt)
let end = Timestamp(microseconds: start.microseconds + 31 * 86_400_000_000 - 1)
try exportAndVerify("month from \(start.description.prefix(10))", JSONLinesExport.Selection(from: start, to: end))

/// The first moment of the UTC month containing `time`.
func monthStart(_ time: Timestamp) -> Timestamp {
    let day = time.microseconds / 86_400_000_000
    let date = LocalDate(daysSinceEpoch: day)
    return Timestamp(microseconds: LocalDate(date.year, date.month, 1).daysSinceEpoch * 86_400_000_000)
}
