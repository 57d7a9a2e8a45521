import ArgumentParser
import EventLog
import Foundation
import LedgerIO

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export events with what proves them (record bytes, hashes) as JSON Lines; check with `desk verify --export`.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl
    }

    @OptionGroup var options: LedgerOptions
    @OptionGroup var window: WindowOptions

    @Option(help: "The format: jsonl (JSON Lines for auditors, docs/AUDIT.md).")
    var format: Format = .jsonl

    @Option(name: .customLong("ticket"), help: "Only this ticket or problem (repeatable).")
    var tickets: [String] = []

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        let log = try openForReading(options)
        defer { log.close() }
        let selection = JSONLinesExport.Selection(streams: Set(tickets), from: window.from?.timestamp, to: window.to?.timestamp)
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ValidationError("cannot create \(output)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        defer { if output != nil { try? handle.close() } }
        let total = try log.lastPosition()
        let progress = Progress(label: "exporting")
        defer { progress.finish() }
        var buffer = Data()
        let count = try JSONLinesExport.export(log, selection: selection, progress: { progress.update($0, of: total) }) { line in
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        if let output {
            FileHandle.standardError.write(Data("exported \(count) events to \(output)\n".utf8))
        }
    }
}
