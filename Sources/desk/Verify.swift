import ArgumentParser
import EventLog

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the ledger's hash chain; exit 1 and name the first bad position if it does not hold.")

    @OptionGroup var options: LedgerOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        let path = try options.path()
        let log = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
        defer { log.close() }
        let report = try log.verify()
        if json {
            struct Output: Encodable { let valid: Bool; let events: UInt64; let chainHead: String; let firstBadPosition: UInt64?; let problem: String? }
            printJSON(Output(valid: report.isValid, events: report.eventsChecked, chainHead: report.head.hashHex, firstBadPosition: report.firstBadPosition, problem: report.problem))
        } else if report.isValid {
            print("valid: \(report.eventsChecked) events, chain head \(report.head.hashHex)")
        } else {
            print("INVALID at position \(report.firstBadPosition ?? 0): \(report.problem ?? "")")
        }
        if !report.isValid { throw ExitCode(1) }
    }
}
