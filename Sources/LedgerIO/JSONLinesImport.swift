public import EventLog
import Foundation

/// Imports a JSON Lines export (`desk export --format jsonl`) into a ledger:
/// checks the export first (``ExportVerifier``), then appends each event to its
/// stream, in the export's order, keeping its id, times, actor and payload. The
/// new ledger's positions and hashes are its own; importing the same export
/// twice writes nothing new (the event ids are kept).
public enum JSONLinesImport {
    /// Checks and imports `file`.
    public static func importFile(_ file: String, into log: any EventStore, batchSize: Int = 10_000) throws -> ImportResult {
        guard let data = FileManager.default.contents(atPath: file) else { throw ImportError(description: "\(file): cannot read it") }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let check = ExportVerifier.verify(lines: lines)
        guard check.isValid else {
            throw ImportError(description: "\(file), line \(check.firstBadLine ?? 0): \(check.problem ?? "not a valid export"); nothing was imported")
        }
        let decoder = JSONDecoder()
        var pending: [StreamAppend] = []
        var count = 0
        var appended = 0
        var streams = Set<String>()
        func flush() throws {
            guard !pending.isEmpty else { return }
            appended += try log.append(pending).filter { !$0.wasAlreadyStored }.map(\.positions.count).reduce(0, +)
            pending.removeAll(keepingCapacity: true)
        }
        for line in lines.dropFirst() where !line.isEmpty {
            let exported = try decoder.decode(ExportedEvent.self, from: Data(line.utf8))
            guard let record = Data(base64Encoded: exported.record) else { continue }
            let proposed = try record.withUnsafeBytes { raw in
                try RecordView(validating: raw, position: exported.position).materialize().event
            }
            if pending.last?.stream == exported.streamId {
                pending[pending.count - 1].events.append(proposed)
            } else {
                pending.append(StreamAppend(stream: exported.streamId, events: [proposed]))
            }
            streams.insert(exported.streamId)
            count += 1
            if count % batchSize == 0 { try flush() }
        }
        try flush()
        return ImportResult(events: count, appended: appended, cases: streams.count, skipped: 0)
    }
}
