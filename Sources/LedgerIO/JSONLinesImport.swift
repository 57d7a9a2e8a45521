public import CoreMetrics
public import EventLog
public import Foundation

/// Imports a JSON Lines export (`desk export --format jsonl`) into a ledger:
/// checks the export first (``ExportVerifier``), then appends each event to its
/// stream, in the export's order, keeping its id, times, actor and payload. The
/// new ledger's positions and hashes are its own; importing the same export
/// twice writes nothing new (the event ids are kept).
public enum JSONLinesImport {
    /// Checks and imports `file`, counting its rows in `metricsFactory`
    /// (the Metrics article of `EventLog`; the bootstrapped factory when nil).
    public static func importFile(_ file: String, into log: any EventStore, batchSize: Int = 10_000, metricsFactory: (any MetricsFactory)? = nil) throws -> ImportResult {
        guard let data = FileManager.default.contents(atPath: file) else { throw ImportError(description: "\(file): cannot read it") }
        var pending: [StreamAppend] = []
        var count = 0
        var appended = 0
        var streams = Set<String>()
        func flush() throws {
            guard !pending.isEmpty else { return }
            appended += try log.append(pending).filter { !$0.wasAlreadyStored }.map(\.positions.count).reduce(0, +)
            pending.removeAll(keepingCapacity: true)
        }
        try forEachEvent(in: data, file: file) { stream, event in
            if pending.last?.stream == stream {
                pending[pending.count - 1].events.append(event)
            } else {
                pending.append(StreamAppend(stream: stream, events: [event]))
            }
            streams.insert(stream)
            count += 1
            if count % batchSize == 0 { try flush() }
        }
        try flush()
        let result = ImportResult(events: count, appended: appended, cases: streams.count, skipped: 0)
        result.count(format: "jsonl", in: metricsFactory)
        return result
    }

    /// Checks the export in `data` (``ExportVerifier``), then passes each of its
    /// events to `body` with its stream, in the export's order: what would be
    /// appended. Nothing is passed unless the whole export checks.
    ///
    /// - Throws: `ImportError` naming `file` and the line.
    public static func forEachEvent(in data: Data, file: String, _ body: (String, ProposedEvent) throws -> Void) throws {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let check = ExportVerifier.verify(lines: lines)
        guard check.isValid else {
            throw ImportError(description: "\(file), line \(check.firstBadLine ?? 0): \(check.problem ?? "not a valid export"); nothing was imported")
        }
        let decoder = JSONDecoder()
        var events: [(String, ProposedEvent)] = []
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            func refuse(_ why: String) -> ImportError {
                ImportError(description: "\(file), line \(offset + 1): \(why); nothing was imported")
            }
            // A version 2 export ends with its checkpoint (the verifier has checked it).
            if let trailer = try? decoder.decode(ExportTrailer.self, from: Data(line.utf8)), trailer.format == "ticketledger-checkpoint" { continue }
            guard let exported = try? decoder.decode(ExportedEvent.self, from: Data(line.utf8)) else { throw refuse("not an exported event") }
            guard let record = Data(base64Encoded: exported.record) else { throw refuse("the record is not base64") }
            let proposed = try record.withUnsafeBytes { raw in
                do {
                    return try RecordView(validating: raw, position: exported.position).materialize().event
                } catch {
                    throw refuse("\(error)")
                }
            }
            events.append((exported.streamId, proposed))
        }
        for (stream, event) in events { try body(stream, event) }
    }
}
