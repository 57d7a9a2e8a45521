public import ArgumentParser
import EventLog
import Foundation
public import LedgerIO

extension XESExport.CaseNotion: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export events with what proves them (record bytes, hashes) as JSON Lines; check with `desk verify --export`.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv, xes, ocel
    }

    @OptionGroup var options: LedgerOptions
    @OptionGroup var window: WindowOptions

    @Option(help: "jsonl (auditors, docs/AUDIT.md), csv (spreadsheets), xes (IEEE 1849) or ocel (OCEL 2.0 JSON).")
    var format: Format = .jsonl

    @Option(name: .customLong("ticket"), help: "Only this ticket or problem (repeatable).")
    var tickets: [String] = []

    @Option(name: .customLong("case"), help: "With --format xes: what a trace is, ticket (the default) or problem.")
    var caseNotion: XESExport.CaseNotion?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    @Option(help: ArgumentHelp("With --format jsonl: sign the export's checkpoint with this signer key (desk keygen); or set DESK_SIGNING_KEY.", valueName: "file"))
    var key: String?

    @Option(help: "With --format jsonl: the log's name in the checkpoint (default: the key's name).")
    var origin: String?

    func validate() throws {
        if caseNotion != nil, format != .xes { throw ValidationError("--case applies to --format xes only") }
        if key != nil || origin != nil, format != .jsonl { throw ValidationError("--key and --origin apply to --format jsonl only") }
    }

    func run() throws {
        let signer = format == .jsonl ? try signerKey(key) : nil
        let log = try openForReading(options)
        defer { log.close() }
        // A ticket that is not in the ledger is an error, not an empty export.
        for ticket in tickets where try log.streamVersion(ticket) == 0 {
            throw DeskFailure("no ticket or problem \(ticket) in this ledger")
        }
        let selection = JSONLinesExport.Selection(streams: Set(tickets), from: window.from?.timestamp, to: window.to?.timestamp)
        // Process-mining exports show personal fields revealed; the auditors' JSON Lines carry the records as stored (sealed).
        let personalData = format == .jsonl ? nil : try options.personalDataForReading(log)
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw DeskFailure("cannot create \(output)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        defer { if output != nil { try? handle.close() } }
        let total = try log.lastPosition()
        let progress = Progress(label: "exporting")
        var buffer = Data()
        let write: (String) throws -> Void = { text in
            buffer.append(contentsOf: text.utf8)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let report: (UInt64) -> Void = { progress.update($0, of: total) }
        let count: Int = switch format {
        case .jsonl: try JSONLinesExport.export(log, selection: selection, signer: signer, origin: origin, progress: report, write: write)
        case .csv: try CSVExport.export(log, selection: selection, personalData: personalData, progress: report, write: write)
        case .xes:
            try XESExport.export(
                log, selection: selection, caseNotion: caseNotion ?? .ticket, personalData: personalData, progress: report,
                write: write
            ).events
        case .ocel: try OCELExport.export(log, selection: selection, personalData: personalData, progress: report, write: write).events
        }
        try handle.write(contentsOf: buffer)
        progress.finish()
        if let output {
            let unsigned = format == .jsonl && signer == nil ? " (its checkpoint is not signed: pass --key to sign it)" : ""
            FileHandle.standardError.write(Data("exported \(count) events to \(output)\(unsigned)\n".utf8))
        }
    }
}
