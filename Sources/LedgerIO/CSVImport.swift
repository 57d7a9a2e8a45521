import Crypto
public import EventLog
import Foundation
import TicketLedger

/// How the columns of a CSV event log map to the ledger. Written as JSON for
/// `desk import --map FILE`; the presets in `Presets/` are examples.
public struct ImportMapping: Codable, Sendable, Hashable {
    /// The column holding the case (ticket or problem) id.
    public var caseColumn: String
    /// The column holding the activity name.
    public var activityColumn: String
    /// The column holding the event's time.
    public var timeColumn: String
    /// The column holding who did it, if any.
    public var resourceColumn: String?
    /// The time's layout with `yyyy MM dd HH mm ss` and `S...` (fraction) tokens,
    /// e.g. `yyyy/MM/dd HH:mm:ss.SSS`; absent: ISO 8601 (`2012-03-15 11:53:52+00:00`).
    /// Times without an offset are UTC.
    public var timeFormat: String?
    /// Other columns to keep, by the field they become: `category`, `ci`,
    /// `product`, `client`, `group`, `line`, `priority`, `service`, or any name
    /// (kept as a custom attribute).
    public var attributes: [String: String]
    /// Activity names that mean one of the ledger's events: `registered`,
    /// `assigned`, `workStarted`, `suspended`, `resumed`, `resolved`, `reopened`,
    /// `closed`, `cancelled`. Any other activity is kept as `ActivityRecorded`
    /// with its name.
    public var activities: [String: String]

    public init(
        caseColumn: String, activityColumn: String, timeColumn: String, resourceColumn: String? = nil, timeFormat: String? = nil,
        attributes: [String: String] = [:], activities: [String: String] = [:]
    ) {
        self.caseColumn = caseColumn
        self.activityColumn = activityColumn
        self.timeColumn = timeColumn
        self.resourceColumn = resourceColumn
        self.timeFormat = timeFormat
        self.attributes = attributes
        self.activities = activities
    }

    enum CodingKeys: String, CodingKey {
        case caseColumn = "case", activityColumn = "activity", timeColumn = "time", resourceColumn = "resource", timeFormat, attributes, activities
    }

    /// A mapping shipped with the library: `helpdesk` or `bpi2013-problems`
    /// (files in `Sources/LedgerIO/Presets`).
    public static func preset(_ name: String) throws -> ImportMapping {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Presets") else {
            throw ImportError(description: "no preset '\(name)'; the presets are \(presetNames.joined(separator: ", "))")
        }
        return try load(url.path)
    }

    /// The presets' names.
    public static let presetNames = ["helpdesk", "bpi2013-problems"]

    /// Reads a mapping from a JSON file.
    public static func load(_ path: String) throws -> ImportMapping {
        guard let data = FileManager.default.contents(atPath: path) else { throw ImportError(description: "\(path): cannot read the mapping") }
        do {
            return try JSONDecoder().decode(ImportMapping.self, from: data)
        } catch {
            throw ImportError(description: "\(path): not a mapping: \(error)")
        }
    }

    static let knownEvents: Set<String> = ["registered", "assigned", "workStarted", "suspended", "resumed", "resolved", "reopened", "closed", "cancelled"]

    /// Parses a time in this mapping's format (UTC unless it ends with `Z` or an offset), or returns nil.
    public func parseTime(_ text: String) -> Timestamp? {
        guard let format = timeFormat else { return Timestamp(iso8601: text) }
        var text = text
        return text.withUTF8 { t -> Timestamp? in
            var f = format
            return f.withUTF8 { f -> Timestamp? in
                // Read the layout's digit fields in place.
                var values: [UInt8: Int64] = [:]
                var fractionDigits = 0
                var i = 0
                var j = 0
                while i < f.count {
                    let c = f[i]
                    if c == 0x79 || c == 0x4D || c == 0x64 || c == 0x48 || c == 0x6D || c == 0x73 || c == 0x53 {  // y M d H m s S
                        var run = 0
                        while i + run < f.count, f[i + run] == c { run += 1 }
                        guard j + run <= t.count else { return nil }
                        var value: Int64 = 0
                        for k in j..<(j + run) {
                            guard t[k] >= 48, t[k] <= 57 else { return nil }
                            value = value * 10 + Int64(t[k] - 48)
                        }
                        values[c] = value
                        if c == 0x53 { fractionDigits = run }
                        i += run
                        j += run
                    } else {
                        guard j < t.count, t[j] == c else { return nil }
                        i += 1
                        j += 1
                    }
                }
                var micros = values[0x53] ?? 0
                if fractionDigits > 6 { for _ in 6..<fractionDigits { micros /= 10 } } else if fractionDigits > 0 { for _ in fractionDigits..<6 { micros *= 10 } }
                guard let local = Timestamp(
                    year: values[0x79] ?? 1970, month: values[0x4D] ?? 1, day: values[0x64] ?? 1, hour: values[0x48] ?? 0,
                    minute: values[0x6D] ?? 0, second: values[0x73] ?? 0, microsecond: micros)
                else { return nil }
                // An optional offset after the layout: Z, +HH:MM, -HHMM.
                if j == t.count { return local }
                if t[j] == 0x5A, j + 1 == t.count { return local }
                guard t[j] == 0x2B || t[j] == 0x2D, t.count - j >= 5 else { return nil }
                let digits = t[(j + 1)...].filter { $0 != 0x3A }
                guard digits.count == 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                let d = digits.map { Int64($0 - 48) }
                let offset = ((d[0] * 10 + d[1]) * 3600 + (d[2] * 10 + d[3]) * 60) * (t[j] == 0x2B ? 1 : -1)
                return Timestamp(microseconds: local.microseconds - offset * 1_000_000)
            }
        }
    }
}

/// An error of an import, naming the file, the line and the column.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// What an import did.
public struct ImportResult: Sendable, Hashable {
    /// Events in the file (valid rows).
    public var events: Int
    /// Events appended now (0 when the file was imported before).
    public var appended: Int
    /// Cases (streams) the events belong to.
    public var cases: Int
    /// Rows passed over with `skipInvalid`.
    public var skipped: Int
}

/// Imports a CSV event log: every row becomes one event of its case's stream,
/// with its original time as `occurredAt`, appended in time order (ties in file
/// order), with the file and row it came from in its attributes.
///
/// Nothing is written until every row has been read and checked; then the
/// events go in in atomic batches whose event ids derive from the file's name and
/// the row, so an import that stops half-way is finished by running it again,
/// and a second import of the same file writes nothing new.
public enum CSVImport {
    /// What the first pass keeps of a valid row: 16 bytes, not the row.
    struct RowIndex {
        var time: Int64
        var line: Int32
        var offset: Int64
    }

    /// Reads `file` with `mapping`, checks every row, and appends.
    ///
    /// The file is mapped, not read into memory. A first pass checks every row and
    /// keeps only its time, line and offset (16 bytes a row); after sorting those,
    /// a second pass reads each row again by its offset, in time order, and
    /// appends in batches.
    ///
    /// - Parameters:
    ///   - file: the CSV file, a header row first.
    ///   - mapping: which columns hold what.
    ///   - log: the ledger to append to.
    ///   - skipInvalid: pass over bad rows (their count is returned, and they are
    ///     written to `skippedFile` if given) instead of stopping at the first.
    ///   - skippedFile: where to list the rows passed over.
    ///   - batchSize: events per atomic append.
    public static func importFile(
        _ file: String, mapping: ImportMapping, into log: any EventStore, skipInvalid: Bool = false, skippedFile: String? = nil,
        batchSize: Int = 10_000
    ) throws -> ImportResult {
        let name = URL(fileURLWithPath: file).lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        } catch {
            throw ImportError(description: "\(file): cannot open it (\(error.localizedDescription))")
        }
        return try data.withUnsafeBytes { bytes in
            try importRows(CSVScanner(bytes), file: file, name: name, mapping: mapping, into: log, skipInvalid: skipInvalid, skippedFile: skippedFile, batchSize: batchSize)
        }
    }

    static func importRows(
        _ scanner: CSVScanner, file: String, name: String, mapping: ImportMapping, into log: any EventStore, skipInvalid: Bool,
        skippedFile: String?, batchSize: Int
    ) throws -> ImportResult {
        var reader = scanner
        func next() throws -> (fields: [String], line: Int, offset: Int)? {
            do {
                return try reader.next()
            } catch let error as ImportError {
                throw ImportError(description: "\(file), \(error.description)")
            }
        }
        guard let header = try next()?.fields else { throw ImportError(description: "\(file): no header row") }
        func column(_ name: String?) throws -> Int? {
            guard let name else { return nil }
            // The first column of that name (some exports repeat a header).
            guard let index = header.firstIndex(of: name) else {
                throw ImportError(description: "\(file): no column '\(name)' in the header (\(header.joined(separator: ", ")))")
            }
            return index
        }
        let caseIndex = try column(mapping.caseColumn)!
        let activityIndex = try column(mapping.activityColumn)!
        let timeIndex = try column(mapping.timeColumn)!
        let resourceIndex = try column(mapping.resourceColumn)
        let attributeIndexes = try mapping.attributes.keys.sorted().map { (try column($0)!, mapping.attributes[$0]!) }
        for (activity, event) in mapping.activities where !ImportMapping.knownEvents.contains(event) {
            throw ImportError(description: "mapping: activity '\(activity)' maps to '\(event)', which is not one of \(ImportMapping.knownEvents.sorted().joined(separator: ", "))")
        }

        // Pass 1: check every row, keep its time, line and offset.
        var index: [RowIndex] = []
        var skipped: [String] = []
        var cases = Set<String>()
        while let (cells, line, offset) = try next() {
            if cells == [""] { continue }  // a blank line
            func bad(_ why: String, column: String) throws {
                let message = "\(file), line \(line), column '\(column)': \(why)"
                if skipInvalid {
                    skipped.append(message)
                } else {
                    throw ImportError(description: message)
                }
            }
            guard cells.count == header.count else {
                try bad("\(cells.count) fields where the header has \(header.count)", column: header.last ?? "")
                continue
            }
            guard !cells[caseIndex].isEmpty else {
                try bad("the case id is empty", column: mapping.caseColumn)
                continue
            }
            guard let time = mapping.parseTime(cells[timeIndex]) else {
                try bad("'\(cells[timeIndex])' is not a time\(mapping.timeFormat.map { " in the format \($0)" } ?? " in ISO 8601")", column: mapping.timeColumn)
                continue
            }
            guard !cells[activityIndex].isEmpty else {
                try bad("the activity is empty", column: mapping.activityColumn)
                continue
            }
            cases.insert(cells[caseIndex])
            index.append(RowIndex(time: time.microseconds, line: Int32(line), offset: Int64(offset)))
        }
        if let skippedFile, !skipped.isEmpty {
            try (skipped.joined(separator: "\n") + "\n").write(toFile: skippedFile, atomically: true, encoding: .utf8)
        }
        // Time order; the file's order among equal times.
        index.sort { ($0.time, $0.line) < ($1.time, $1.line) }

        // Pass 2: read the rows again in that order and append in batches.
        var appended = 0
        var start = 0
        while start < index.count {
            var appends: [StreamAppend] = []
            for entry in index[start..<min(start + batchSize, index.count)] {
                let cells = try scanner.row(at: Int(entry.offset), line: Int(entry.line))
                var fields: [String: String] = [:]
                for (column, field) in attributeIndexes where !cells[column].isEmpty { fields[field] = cells[column] }
                var hasher = SHA256()
                hasher.update(data: Data("ticketledger-import|\(name)|\(entry.line)|".utf8))
                for cell in cells {
                    var text = cell
                    text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                    hasher.update(data: [0x1F])
                }
                let row = Row(
                    time: Timestamp(microseconds: entry.time), line: Int(entry.line), caseID: cells[caseIndex], activity: cells[activityIndex],
                    resource: resourceIndex.map { cells[$0] }.flatMap { $0.isEmpty ? nil : $0 }, fields: fields, digest: Array(hasher.finalize()))
                let event = proposed(row, mapping: mapping, file: name)
                if appends.last?.stream == row.caseID {
                    appends[appends.count - 1].events.append(event)
                } else {
                    appends.append(StreamAppend(stream: row.caseID, events: [event]))
                }
            }
            appended += try log.append(appends).filter { !$0.wasAlreadyStored }.map(\.positions.count).reduce(0, +)
            start += batchSize
        }
        return ImportResult(events: index.count, appended: appended, cases: cases.count, skipped: skipped.count)
    }

    struct Row {
        var time: Timestamp
        var line: Int
        var caseID: String
        var activity: String
        var resource: String?
        var fields: [String: String]
        var digest: [UInt8]
    }

    static func proposed(_ row: Row, mapping: ImportMapping, file: String) -> ProposedEvent {
        let f = row.fields
        let agent = row.resource ?? ""
        let line = SupportLine(importText: f["line"]) ?? .firstLine
        let body: TicketEvent
        switch mapping.activities[row.activity] {
        case "registered"?:
            body = .registered(.init(
                number: row.caseID, kind: .incident, channel: .other, caller: f["caller"] ?? "", client: ClientRef(f["client"] ?? ""),
                title: f["title"] ?? row.activity, category: f["category"] ?? "", service: f["service"] ?? "",
                configurationItems: f["ci"].map { [$0] } ?? [], impact: .medium, urgency: .medium,
                priority: f["priority"].flatMap(UInt8.init) ?? 3, matrixVersion: 0))
        case "assigned"?: body = .assigned(.init(group: f["group"] ?? agent, line: line, agent: row.resource))
        case "workStarted"?: body = .workStarted(agent: agent)
        case "suspended"?: body = .suspended(reason: .other, note: row.activity)
        case "resumed"?: body = .resumed
        case "resolved"?: body = .resolved(.init(code: row.activity, line: line))
        case "reopened"?: body = .reopened(reason: row.activity)
        case "closed"?: body = .closed(code: row.activity)
        case "cancelled"?: body = .cancelled(reason: row.activity)
        default: body = .activityRecorded(name: row.activity)
        }
        var attributes = f
        attributes["source.file"] = file
        attributes["source.line"] = String(row.line)
        attributes["source.activity"] = row.activity
        return TicketEventCodec.proposed(
            DeskEvent(body, attributes: attributes), id: EventID(bytes: row.digest.prefix(16))!, occurredAt: row.time,
            actor: row.resource.map { ActorRef(.agent, $0) } ?? ActorRef(.system, "import"))
    }
}

extension SupportLine {
    init?(importText text: String?) {
        guard let text = text?.lowercased() else { return nil }
        if text.contains("1st") || text.contains("first") { self = .firstLine }
        else if text.contains("2nd") || text.contains("second") { self = .secondLine }
        else if text.contains("3rd") || text.contains("special") { self = .specialist }
        else { return nil }
    }
}
