public import CoreMetrics
import Crypto
public import EventLog
import Foundation
public import TicketLedger

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
    /// What to check before trusting the numbers: cases that begin without a
    /// registration, how many priorities were stated, missing values.
    public var notes: [String] = []
}

/// Imports a CSV event log: every row becomes one event of its case's stream,
/// with its original time as `occurredAt`, appended in time order (ties in file
/// order), with the file and row it came from in its attributes.
///
/// Nothing is written until every row has been read and checked; then the
/// events go in in atomic batches whose event ids derive from the row's contents
/// (not the file's name), so an import that stops half-way is finished by running
/// it again, and a second import of the same file, under any name, writes nothing
/// new.
public enum CSVImport {
    /// The most bytes one field may hold (1 MiB); a longer one is refused with its
    /// line and column before anything is written.
    public static let maximumFieldBytes = 1 << 20

    /// What the first pass keeps of a valid row: 16 bytes, not the row.
    struct RowIndex {
        var time: Int64
        var line: Int32
        /// The case's number in the order cases first appear in the file.
        var caseNumber: Int32
        /// A snapshot's sequence column (0 without one).
        var sequence: Int64
        var offset: Int64
        var isRegistration: Bool
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
    ///   - progress: called after each batch with the events appended (or found
    ///     already stored) so far and the total, once every row has been checked.
    ///   - personalData: seals each case's personal fields (``ImportMapping/personal``)
    ///     under its caller's key; `nil` writes them in clear.
    ///   - metricsFactory: where the rows imported and skipped are counted
    ///     (the Metrics article of `EventLog`); the bootstrapped factory when nil.
    public static func importFile(
        _ file: String, mapping: ImportMapping, into log: any EventStore, skipInvalid: Bool = false, skippedFile: String? = nil,
        batchSize: Int = 10_000, personalData: PersonalData? = nil, progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws -> ImportResult {
        let name = URL(fileURLWithPath: file).lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        } catch {
            throw ImportError(description: "\(file): cannot open it (\(error.localizedDescription))")
        }
        let delimiter: UInt8? = switch mapping.delimiter {
        case ","?: 0x2C
        case ";"?: 0x3B
        case "\t"?, "tab"?: 0x09
        default: nil
        }
        let result = try data.withUnsafeBytes { bytes in
            try importRows(
                CSVScanner(bytes, delimiter: delimiter), file: file, name: name, mapping: mapping, into: log, skipInvalid: skipInvalid,
                skippedFile: skippedFile, batchSize: batchSize, personalData: personalData, progress: progress)
        }
        result.count(format: "csv", in: metricsFactory)
        return result
    }

    static func importRows(
        _ scanner: CSVScanner, file: String, name: String, mapping: ImportMapping, into log: any EventStore, skipInvalid: Bool,
        skippedFile: String?, batchSize: Int, personalData: PersonalData? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws -> ImportResult {
        try mapping.validate("mapping")
        var reader = scanner
        func next() throws -> (fields: [String], line: Int, offset: Int)? {
            do {
                return try reader.next()
            } catch let error as ImportError {
                throw ImportError(description: "\(file), \(error.description)")
            }
        }
        guard let header = try next()?.fields else { throw ImportError(description: "\(file): no header row") }
        let columns = try Columns(header: header, mapping: mapping, file: file)
        let layout = try TimeLayout(mapping.timeFormat, timeZone: mapping.timeZone)
        let missing = Set((mapping.missingValues ?? ImportMapping.defaultMissingValues).map(\.trimmingSpaces))
        func value(_ cell: String) -> String? { missing.contains(cell.trimmingSpaces) ? nil : cell }
        let registrations = Set(mapping.activities.filter { $0.value == "registered" }.keys)

        // Pass 1: check every row, keep its time, line, case and offset.
        var index: [RowIndex] = []
        var skipped: [String] = []
        var caseNumbers: [String: Int32] = [:]
        var missingCells = 0
        var statedPriorities = 0
        rows: while let (cells, line, offset) = try next() {
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
            // What the ledger could not hold is refused here, before anything is written.
            if let field = reader.invalidUTF8Field {
                try bad("the field is not valid UTF-8", column: header[field])
                continue
            }
            if let field = cells.firstIndex(where: { $0.utf8.count > maximumFieldBytes }) {
                try bad("the field has \(cells[field].utf8.count) bytes; a field holds at most \(maximumFieldBytes)", column: header[field])
                continue
            }
            guard let caseID = value(cells[columns.caseID]) else {
                try bad("the case id is missing ('\(cells[columns.caseID])')", column: mapping.caseColumn)
                continue
            }
            guard caseID.utf8.count <= RecordFormat.maximumStreamIDBytes else {
                try bad("the case id has \(caseID.utf8.count) bytes; a stream id holds at most \(RecordFormat.maximumStreamIDBytes)", column: mapping.caseColumn)
                continue
            }
            if let column = columns.resource, cells[column].utf8.count > Int(UInt16.max) {
                try bad("the resource has \(cells[column].utf8.count) bytes; an actor id holds at most 65,535", column: header[column])
                continue
            }
            guard let time = layout.parse(cells[columns.time]) else {
                try bad("'\(cells[columns.time])' is not a time \(layout.expected)", column: mapping.timeColumn)
                continue
            }
            var isRegistration = false
            var sequence: Int64 = 0
            if let snapshot = mapping.snapshot {
                let state = value(cells[columns.state]) ?? ""
                let detail = columns.stateDetail.flatMap { value(cells[$0]) }
                guard snapshot.kind(state, detail: detail) != nil else {
                    try bad(
                        "the state '\(state)\(detail.map { "/" + $0 } ?? "")' is not in the mapping's states (\(snapshot.states.keys.sorted().joined(separator: ", ")))",
                        column: snapshot.state)
                    continue
                }
                if let column = columns.sequence, let text = value(cells[column]) {
                    guard let number = Int64(text.trimmingSpaces) else {
                        try bad("'\(text)' is not a whole number", column: header[column])
                        continue
                    }
                    sequence = number
                }
                for column in [columns.opened, columns.resolved, columns.closed].compactMap({ $0 }) {
                    guard let text = value(cells[column]) else { continue }
                    guard layout.parse(text) != nil else {
                        try bad("'\(text)' is not a time \(layout.expected)", column: header[column])
                        continue rows
                    }
                }
            } else {
                guard let activity = value(cells[columns.activity]) else {
                    try bad("the activity is missing ('\(cells[columns.activity])')", column: mapping.activityColumn ?? "")
                    continue
                }
                isRegistration = registrations.contains(activity)
            }
            for (column, field) in columns.parsed {
                guard let text = value(cells[column]) else { continue }
                guard ImportValues.normalised(text, field: field) != nil else {
                    try bad("'\(text)' is not \(ImportValues.article(field)) \(field); it may be \(ImportValues.forms(field))", column: header[column])
                    continue rows
                }
                if field == "priority" { statedPriorities += 1 }
            }
            missingCells += columns.attributes.count { value(cells[$0.0]) == nil && !cells[$0.0].isEmpty }
            let number = caseNumbers[caseID] ?? Int32(caseNumbers.count)
            caseNumbers[caseID] = number
            index.append(RowIndex(time: time.microseconds, line: Int32(line), caseNumber: number, sequence: sequence, offset: Int64(offset), isRegistration: isRegistration))
        }

        var notes: [String] = []
        let total: Int
        let events: (Range<Int>) throws -> [DerivedEvent]
        if let snapshot = mapping.snapshot {
            // A case's rows in order: time, then the sequence column, then the file.
            index.sort { ($0.caseNumber, $0.time, $0.sequence, $0.line) < ($1.caseNumber, $1.time, $1.sequence, $1.line) }
            if let skippedFile, !skipped.isEmpty { try writeSkipped(skipped, to: skippedFile) }
            let context = RowContext(
                scanner: scanner, columns: columns, layout: layout, mapping: mapping, file: name, value: value, personalData: personalData)
            // Sorted across cases by time, so held whole (an event log streams instead).
            let derived = try SnapshotDerivation.events(index, snapshot: snapshot, context: context, notes: &notes)
            total = derived.count
            events = { Array(derived[$0]) }
        } else {
            // Time order; the file's order among equal times.
            index.sort { ($0.time, $0.line) < ($1.time, $1.line) }
            let (refused, registrationNotes) = try checkRegistrations(index, cases: caseNumbers.count, mapping: mapping, file: file, skipInvalid: skipInvalid, skipped: &skipped)
            if !refused.isEmpty { index.removeAll { refused.contains($0.line) } }
            if let skippedFile, !skipped.isEmpty { try writeSkipped(skipped, to: skippedFile) }
            notes += registrationNotes
            let context = RowContext(
                scanner: scanner, columns: columns, layout: layout, mapping: mapping, file: name, value: value, personalData: personalData)
            // One row, one event, made batch by batch: memory holds the index, not the events.
            total = index.count
            events = { range in
                try index[range].map { entry in
                    let row = try context.row(entry)
                    return DerivedEvent(time: entry.time, caseNumber: entry.caseNumber, stream: row.caseID, event: try proposed(row, context: context))
                }
            }
        }
        if columns.parsed.contains(where: { $0.1 == "priority" }) {
            notes.append("priorities: \(statedPriorities) of \(index.count) rows state one")
        } else {
            notes.append("priorities: no column is mapped to priority, so tickets state none")
        }
        if missingCells > 0 {
            notes.append("\(missingCells) cells hold a missing-value token (\(missing.sorted().filter { !$0.isEmpty }.joined(separator: " "))): absent, not values")
        }
        let appended = try append(total, batchSize: batchSize, to: log, progress: progress, events)
        return ImportResult(events: total, appended: appended, cases: caseNumbers.count, skipped: skipped.count, notes: notes)
    }

    /// In time order: which cases begin without a registration, and which register
    /// twice (refused with the line when the mapping says so).
    static func checkRegistrations(
        _ index: [RowIndex], cases: Int, mapping: ImportMapping, file: String, skipInvalid: Bool, skipped: inout [String]
    ) throws -> (refused: Set<Int32>, notes: [String]) {
        var begun = [Bool](repeating: false, count: cases)
        var registered = [Bool](repeating: false, count: cases)
        var withoutRegistration = 0
        var repeated = 0
        var refused = Set<Int32>()
        for entry in index {
            let number = Int(entry.caseNumber)
            if !begun[number] {
                begun[number] = true
                if !entry.isRegistration { withoutRegistration += 1 }
            }
            guard entry.isRegistration else { continue }
            if registered[number] {
                repeated += 1
                if mapping.repeatedRegistration == .refuse {
                    let message = "\(file), line \(entry.line), column '\(mapping.activityColumn ?? "")': a second registration of a case that is registered already (the mapping's repeatedRegistration is refuse)"
                    guard skipInvalid else { throw ImportError(description: message) }
                    skipped.append(message)
                    refused.insert(entry.line)
                }
            }
            registered[number] = true
        }
        var notes: [String] = []
        if withoutRegistration > 0 {
            notes.append("\(withoutRegistration) of \(cases) cases begin without a registration: they open at their first event")
        }
        if repeated > 0, mapping.repeatedRegistration != .refuse {
            notes.append("\(repeated) registrations of cases already registered: applied as updates, their clocks kept")
        }
        return (refused, notes)
    }

    static func writeSkipped(_ skipped: [String], to file: String) throws {
        try (skipped.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// Appends the events in time order (a case's own order among equal times),
    /// in atomic batches of about `batchSize`. A batch of which only some events
    /// are stored (an export that repeats rows of one imported before) goes in
    /// without those. Each batch is appended on a queue of its own while the
    /// next one is made from the file (two cores: parsing and writing overlap);
    /// at most one batch is in flight, and nothing is left running when this
    /// returns or throws.
    static func append(
        _ total: Int, batchSize: Int, to log: any EventStore, progress: ((Int, Int) -> Void)? = nil, _ events: (Range<Int>) throws -> [DerivedEvent]
    ) throws -> Int {
        @Sendable func appends(_ batch: [DerivedEvent]) -> [StreamAppend] {
            var appends: [StreamAppend] = []
            for derived in batch {
                if appends.last?.stream == derived.stream {
                    appends[appends.count - 1].events.append(derived.event)
                } else {
                    appends.append(StreamAppend(stream: derived.stream, events: [derived.event]))
                }
            }
            return appends
        }
        @Sendable func appendBatch(_ batch: [DerivedEvent]) throws -> Int {
            do {
                return try log.append(appends(batch)).filter { !$0.wasAlreadyStored }.map(\.positions.count).reduce(0, +)
            } catch let error as EventLogError where error.code == .duplicateEventID {
                let new = try batch.filter { try log.event(id: $0.event.id) == nil }
                return new.isEmpty ? 0 : try log.append(appends(new)).map(\.positions.count).reduce(0, +)
            }
        }
        let writer = DispatchQueue(label: "TicketLedger.import.append")
        var inFlight: (done: DispatchGroup, result: AppendOutcome, end: Int)?
        var appended = 0
        /// Waits for the batch in flight and counts it.
        func settle() throws {
            guard let (done, result, end) = inFlight else { return }
            inFlight = nil
            done.wait()
            appended += try result.value.get()
            progress?(end, total)
        }
        var start = 0
        do {
            while start < total {
                let end = min(start + batchSize, total)
                let batch = try events(start..<end)
                try settle()
                let done = DispatchGroup()
                let result = AppendOutcome()
                done.enter()
                writer.async {
                    result.value = Result { try appendBatch(batch) }
                    done.leave()
                }
                inFlight = (done, result, end)
                start = end
            }
            try settle()
        } catch {
            // Whatever failed, the batch in flight ends before this returns.
            inFlight?.done.wait()
            throw error
        }
        return appended
    }

    /// The outcome of a batch appended on the import's writer queue: set there
    /// before the batch's group is left, read after waiting for the group.
    final class AppendOutcome: @unchecked Sendable {
        var value: Result<Int, any Error> = .success(0)
    }

    /// The columns a mapping names, resolved against the header.
    struct Columns {
        var caseID, time: Int
        var activity = 0
        var resource: Int?
        var attributes: [(Int, String)]
        /// The attribute columns whose values are parsed.
        var parsed: [(Int, String)]
        var state = 0
        var stateDetail, sequence, group, agent, opened, resolved, closed, closeCode: Int?

        init(header: [String], mapping: ImportMapping, file: String) throws {
            func column(_ name: String) throws -> Int {
                // The first column of that name (some exports repeat a header).
                guard let index = header.firstIndex(of: name) else {
                    throw ImportError(description: "\(file): no column '\(name)' in the header (\(header.joined(separator: ", ")))")
                }
                return index
            }
            func optional(_ name: String?) throws -> Int? { try name.map(column) }
            caseID = try column(mapping.caseColumn)
            time = try column(mapping.timeColumn)
            if let activity = mapping.activityColumn { self.activity = try column(activity) }
            resource = try optional(mapping.resourceColumn)
            attributes = try mapping.attributes.keys.sorted().map { (try column($0), mapping.attributes[$0]!) }
            parsed = attributes.filter { ImportMapping.parsedFields.contains($0.1) }
            if let snapshot = mapping.snapshot {
                state = try column(snapshot.state)
                stateDetail = try optional(snapshot.stateDetail)
                sequence = try optional(snapshot.sequence)
                group = try optional(snapshot.group)
                agent = try optional(snapshot.agent)
                opened = try optional(snapshot.opened)
                resolved = try optional(snapshot.resolved)
                closed = try optional(snapshot.closed)
                closeCode = try optional(snapshot.closeCode)
            }
        }
    }

    /// What pass 2 needs to read a row again. A class: it counts identical rows.
    final class RowContext {
        let scanner: CSVScanner
        let columns: Columns
        let layout: TimeLayout
        let mapping: ImportMapping
        let file: String
        let value: (String) -> String?
        /// How many rows with these contents came before, by the contents' digest.
        private var occurrences: [DigestKey: Int32] = [:]
        /// Seals the personal fields, when the import does.
        let personalData: PersonalData?
        /// The fields whose values are personal (``ImportMapping/personal``).
        let personalFields: Set<String>
        /// Each case's caller, from the first of its rows that names one.
        private var callers: [String: String] = [:]

        struct DigestKey: Hashable {
            var high: UInt64
            var low: UInt64
        }

        init(
            scanner: CSVScanner, columns: Columns, layout: TimeLayout, mapping: ImportMapping, file: String, value: @escaping (String) -> String?,
            personalData: PersonalData?
        ) {
            self.personalData = personalData
            personalFields = Set(mapping.personal ?? ImportMapping.defaultPersonal)
            self.scanner = scanner
            self.columns = columns
            self.layout = layout
            self.mapping = mapping
            self.file = file
            self.value = value
        }

        /// The row of `entry`, read again and normalised (it was checked in pass 1).
        func row(_ entry: RowIndex) throws -> Row {
            let cells = try scanner.row(at: Int(entry.offset), line: Int(entry.line))
            var fields: [String: String] = [:]
            for (column, field) in columns.attributes {
                guard let text = value(cells[column]) else { continue }
                fields[field] = ImportMapping.parsedFields.contains(field) ? ImportValues.normalised(text, field: field) : text
            }
            // The event id follows the row's contents, not the file's name or the line:
            // the same export under another name, or rows two exports share, are
            // stored once. Identical rows in one file are told apart by their count.
            var hasher = SHA256()
            hasher.update(data: Data("ticketledger-import|".utf8))
            for cell in cells {
                var text = cell
                text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                hasher.update(data: [0x1F])
            }
            var digest = Array(hasher.finalize())
            let key = digest.withUnsafeBytes { DigestKey(high: $0.loadUnaligned(as: UInt64.self), low: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
            let seen = occurrences[key, default: 0]
            occurrences[key] = seen + 1
            if seen > 0 {
                var again = SHA256()
                again.update(data: digest)
                again.update(data: Array("|copy \(seen)".utf8))
                digest = Array(again.finalize())
            }
            return Row(
                time: Timestamp(microseconds: entry.time), line: Int(entry.line), caseID: cells[columns.caseID],
                activity: mapping.snapshot == nil ? cells[columns.activity] : cells[columns.state],
                resource: columns.resource.flatMap { value(cells[$0]) }, fields: fields, digest: digest, cells: cells)
        }

        /// `event` and `actor` as the import writes them: sealed, when it seals,
        /// with the key of the case's caller (the row's, or an earlier row's of the case).
        func sealed(_ event: DeskEvent, actor: ActorRef, row: Row) throws(DeskError) -> (DeskEvent, ActorRef) {
            guard let personalData else { return (event, actor) }
            let caller = callers[row.caseID] ?? row.fields["caller"] ?? ""
            if callers[row.caseID] == nil, !caller.isEmpty { callers[row.caseID] = caller }
            return try personalData.seal(event, actor: actor, caller: caller, personalAttributes: personalFields)
        }

        /// The time in `column` of `row`, if the mapping names one and the cell has a value.
        func time(_ column: Int?, of row: Row) -> Timestamp? {
            column.flatMap { value(row.cells[$0]) }.flatMap(layout.parse)
        }

        func text(_ column: Int?, of row: Row) -> String? {
            column.flatMap { value(row.cells[$0]) }
        }
    }

    /// One event to append, with what orders it.
    struct DerivedEvent: Sendable {
        var time: Int64
        var caseNumber: Int32
        var stream: String
        var event: ProposedEvent
    }

    struct Row {
        var time: Timestamp
        var line: Int
        var caseID: String
        var activity: String
        var resource: String?
        var fields: [String: String]
        var digest: [UInt8]
        var cells: [String]
    }

    /// The registration an imported row makes, from its fields as normalised in
    /// pass 1 (priority by ``levels(_:)``).
    static func registration(_ f: [String: String], number: String, title: String) -> TicketEvent.Registered {
        let (impact, urgency, priority, matrixVersion) = levels(f)
        return .init(
            number: number, kind: .incident, channel: Channel(importText: f["channel"]), caller: f["caller"] ?? "", client: ClientRef(f["client"] ?? ""),
            title: f["title"] ?? title, category: f["category"] ?? "", service: f["service"] ?? "",
            configurationItems: f["ci"].map { [$0] } ?? [], impact: impact, urgency: urgency,
            priority: priority, matrixVersion: matrixVersion)
    }

    /// Impact, urgency and priority from normalised fields: a stated priority wins;
    /// else impact × urgency give one (ITIL's matrix, whose version is returned);
    /// else 0, none stated. Impact and urgency not stated are medium.
    static func levels(_ f: [String: String]) -> (impact: Impact, urgency: Urgency, priority: Priority, matrixVersion: UInt16) {
        let impact = f["impact"].flatMap(UInt8.init).flatMap(Impact.init(rawValue:)) ?? .medium
        let urgency = f["urgency"].flatMap(UInt8.init).flatMap(Urgency.init(rawValue:)) ?? .medium
        let derived = f["priority"] == nil && f["impact"] != nil && f["urgency"] != nil
        let priority = f["priority"].flatMap(UInt8.init) ?? (derived ? PriorityMatrix.itil.priority(impact: impact, urgency: urgency) : 0)
        return (impact, urgency, priority, derived ? PriorityMatrix.itil.version : 0)
    }

    /// An imported event with the attributes every import writes: the row's kept
    /// fields, and `source.file`, `source.line`, `source.activity`.
    static func event(_ body: TicketEvent, row: Row, number: Int = 0, at time: Timestamp? = nil, context: RowContext) throws -> ProposedEvent {
        var attributes = row.fields
        attributes["source.file"] = context.file
        attributes["source.line"] = String(row.line)
        attributes[TicketEventCodec.sourceActivityAttribute] = row.activity
        var digest = row.digest
        if number > 0 {
            // The second, third ... event derived from one row.
            var hasher = SHA256()
            hasher.update(data: row.digest)
            hasher.update(data: Array("|\(number)".utf8))
            digest = Array(hasher.finalize())
        }
        let (event, actor) = try context.sealed(
            DeskEvent(body, attributes: attributes), actor: row.resource.map { ActorRef(.agent, $0) } ?? ActorRef(.system, "import"), row: row)
        return TicketEventCodec.proposed(event, id: EventID(bytes: digest.prefix(16))!, occurredAt: time ?? row.time, actor: actor)
    }

    static func proposed(_ row: Row, context: RowContext) throws -> ProposedEvent {
        let mapping = context.mapping
        let f = row.fields
        let agent = row.resource ?? ""
        let line = SupportLine(importText: f["line"]) ?? .firstLine
        let body: TicketEvent
        switch mapping.activities[row.activity] {
        case "registered"?: body = .registered(registration(f, number: row.caseID, title: row.activity))
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
        return try event(body, row: row, context: context)
    }
}

extension Channel {
    /// A channel as exports name it (`Phone`, `Email`, `Self-service`, `Walk in`, ...); anything else is `other`.
    init(importText text: String?) {
        let t = text?.lowercased() ?? ""
        if t.contains("phone") || t.contains("call") { self = .phone }
        else if t.contains("mail") { self = .email }
        else if t.contains("web") || t.contains("self") || t.contains("portal") { self = .webPortal }
        else if t.contains("chat") { self = .chat }
        else if t.contains("walk") { self = .walkIn }
        else if t.contains("monitor") || t.contains("alert") || t.contains("event") { self = .monitoring }
        else { self = .other }
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

extension ImportResult {
    /// Counts this import's rows (events read, and rows passed over) as `LedgerMetricLabel.importRows`.
    func count(format: String, in factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        Counter(label: LedgerMetricLabel.importRows, dimensions: [("format", format), ("outcome", "imported")], factory: factory).increment(by: events)
        Counter(label: LedgerMetricLabel.importRows, dimensions: [("format", format), ("outcome", "skipped")], factory: factory).increment(by: skipped)
    }
}
