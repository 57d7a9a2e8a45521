import ArgumentParser
import EventLog
import Foundation
import LedgerIO

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the ledger's hash chain; exit 1 and name the first bad position if it does not hold.")

    @OptionGroup var options: LedgerOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    @Option(name: .customLong("export"), help: ArgumentHelp("Check a JSON Lines export offline, without the ledger.", valueName: "file"))
    var exportFile: String?

    func run() throws {
        if let exportFile { return try verifyExport(exportFile) }
        let log = try openForReading(options)
        defer { log.close() }
        let report = try log.verify()
        if json {
            struct Output: Encodable { let valid: Bool; let events: UInt64; let chainHead: String; let firstBadPosition: UInt64?; let problem: String? }
            printJSON(Output(valid: report.isValid, events: report.eventsChecked, chainHead: report.head.hashHex, firstBadPosition: report.firstBadPosition, problem: report.problem))
        } else if report.isValid {
            print("valid: \(report.eventsChecked) events, chain head \(report.head.hashHex)")
        } else {
            print("INVALID\(report.firstBadPosition.map { " at position \($0)" } ?? ""): \(report.problem ?? "")")
        }
        if !report.isValid { throw ExitCode(1) }
    }

    func verifyExport(_ file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read the export \(file)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let result = ExportVerifier.verify(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        if json {
            struct Output: Encodable { let valid: Bool; let events: Int; let firstBadLine: Int?; let problem: String? }
            printJSON(Output(valid: result.isValid, events: result.events, firstBadLine: result.firstBadLine, problem: result.problem))
        } else if result.isValid {
            print("valid: \(result.events) events in \(file)")
        } else {
            print("INVALID at line \(result.firstBadLine ?? 0): \(result.problem ?? "")")
        }
        if !result.isValid { throw ExitCode(1) }
    }
}
