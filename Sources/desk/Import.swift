public import ArgumentParser
import EventLog
import Foundation
public import LedgerIO

extension ImportMapping.RepeatedRegistration: ExpressibleByArgument {}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a CSV event log (one event per row, in time order, with a column mapping: flags, --map FILE or --preset), or a JSON Lines export (checked first).")

    @OptionGroup var options: LedgerOptions

    @Argument(help: "The CSV file (a header row first), or a .jsonl export of `desk export`.")
    var file: String

    @Option(help: "A shipped mapping: helpdesk, bpi2013-problems, bpi2013-problems-status or servicenow.")
    var preset: String?

    @Option(help: "A mapping in a JSON file (every key: the LedgerIO article \"Mapping a CSV export\"; examples in Sources/LedgerIO/Presets).")
    var map: String?

    @Option(name: .customLong("case"), help: "The case-id column.")
    var caseColumn: String?

    @Option(help: "The activity column.")
    var activity: String?

    @Option(help: "The time column.")
    var time: String?

    @Option(help: "The resource column.")
    var resource: String?

    @Option(name: .customLong("time-format"), help: "The time layout, e.g. yyyy/MM/dd HH:mm:ss.SSS or d/M/yyyy h:mm a (default ISO 8601).")
    var timeFormat: String?

    @Option(name: .customLong("time-zone"), help: "The IANA zone of times without an offset, e.g. Europe/Rome (default UTC). Overrides the mapping's.")
    var timeZone: String?

    @Option(help: "The field separator: ',', ';' or 'tab' (default: detected from the header line). Overrides the mapping's.")
    var delimiter: String?

    @Option(name: .customLong("missing"), help: "A cell value that means no value (repeatable; replaces the default: empty, ?, NULL, null, N/A, n/a).")
    var missingValues: [String] = []

    @Option(name: .customLong("repeated-registration"), help: "A second registration of a case: update (default) or refuse.")
    var repeatedRegistration: ImportMapping.RepeatedRegistration?

    @Option(name: .customLong("attribute"), help: "COLUMN=FIELD to keep (repeatable): category, ci, product, client, group, line, priority, service, or any name.")
    var attributes: [String] = []

    @Flag(help: "Pass over bad rows, count them and write them to FILE.skipped.txt, instead of stopping at the first.")
    var skipInvalid = false

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var sealing: SealingFlags

    func mapping() throws -> ImportMapping {
        var mapping = try baseMapping()
        if let timeZone { mapping.timeZone = timeZone }
        if let delimiter { mapping.delimiter = delimiter }
        if !missingValues.isEmpty { mapping.missingValues = missingValues }
        if let repeatedRegistration { mapping.repeatedRegistration = repeatedRegistration }
        return mapping
    }

    func baseMapping() throws -> ImportMapping {
        if let preset { return try ImportMapping.preset(preset) }
        if let map { return try ImportMapping.load(map) }
        guard let caseColumn, let activity, let time else {
            throw ValidationError("give --preset, --map, or at least --case, --activity and --time")
        }
        var fields: [String: String] = [:]
        for pair in attributes {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--attribute takes COLUMN=FIELD, not '\(pair)'") }
            fields[parts[0]] = parts[1]
        }
        return ImportMapping(caseColumn: caseColumn, activityColumn: activity, timeColumn: time, resourceColumn: resource, timeFormat: timeFormat, attributes: fields)
    }

    func run() throws {
        let isExport = file.hasSuffix(".jsonl") || (try? String(contentsOfFile: file, encoding: .utf8).prefix(200).contains("\"format\":\"ticketledger-export\"")) == true
        let mapping = isExport ? nil : try mapping()
        // Before the ledger is opened, so that a file that cannot be read leaves no empty ledger behind.
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw DeskFailure("\(file): cannot read it (\(FileManager.default.fileExists(atPath: file) ? "no permission" : "no such file"))")
        }
        // Buffered (LMDB): one sync at close; the import is resumable by design.
        let log = try options.open(.readWrite, durability: .buffered)
        defer { log.close() }
        let skippedFile = file + ".skipped.txt"
        let progress = Progress(label: "importing")
        let result = if let mapping {
            try CSVImport.importFile(
                file, mapping: mapping, into: log, skipInvalid: skipInvalid, skippedFile: skippedFile,
                personalData: try options.personalDataForWriting(log, inClear: sealing.inClear),
                progress: { progress.update(UInt64($0), of: UInt64($1)) })
        } else {
            try JSONLinesImport.importFile(file, into: log)
        }
        progress.finish()
        if json {
            struct Output: Encodable { let events, appended, cases, skipped: Int; let notes: [String] }
            printJSON(Output(events: result.events, appended: result.appended, cases: result.cases, skipped: result.skipped, notes: result.notes))
        } else {
            print("Imported \(file): \(result.events) events of \(result.cases) cases, \(result.appended) appended now\(result.appended == 0 && result.events > 0 ? " (imported before)" : "")")
            if result.skipped > 0 { print("Skipped \(result.skipped) invalid rows; they are listed in \(skippedFile)") }
            for note in result.notes { print("note: \(note)") }
        }
    }
}
