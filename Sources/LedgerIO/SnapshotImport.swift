import EventLog
import TicketLedger

/// Derives ledger events from a status-snapshot export: what changed between
/// each case's consecutive rows (see ``SnapshotMapping``).
enum SnapshotDerivation {
    typealias StateKind = SnapshotMapping.StateKind

    /// The fields compared for `reprioritised` and `classified`.
    static let priorityFields = ["priority", "impact", "urgency"]
    static let classificationFields = ["category", "service", "ci"]

    /// Every case's events; `index` is sorted by case, then row order.
    static func events(
        _ index: [CSVImport.RowIndex], snapshot: SnapshotMapping, context: CSVImport.RowContext, notes: inout [String]
    ) throws -> [CSVImport.DerivedEvent] {
        var derivation = Derivation(snapshot: snapshot, context: context)
        var start = 0
        while start < index.count {
            var end = start + 1
            while end < index.count, index[end].caseNumber == index[start].caseNumber { end += 1 }
            try derivation.derive(index[start..<end])
            start = end
        }
        // Time order across cases; within a case the order derived.
        var events = derivation.events
        events.sort { ($0.time, $0.caseNumber, $0.serial) < ($1.time, $1.caseNumber, $1.serial) }
        let c = derivation.counts
        notes.append(
            "status snapshots: \(index.count) rows of \(c.cases) cases gave \(events.count) events: \(c.reassignments) reassignments, "
                + "\(c.escalations) escalations, \(c.suspensions) suspensions, \(c.resolutions) resolutions, \(c.reopenings) reopenings, "
                + "\(c.closures) closures, \(c.cancellations) cancellations")
        if c.rowsWithoutChange > 0 {
            notes.append("\(c.rowsWithoutChange) rows change nothing the mapping keeps: no event")
        }
        return events.map { CSVImport.DerivedEvent(time: $0.time, caseNumber: $0.caseNumber, stream: $0.stream, event: $0.event) }
    }

    struct Event {
        var time: Int64
        var caseNumber: Int32
        var serial: Int
        var stream: String
        var event: ProposedEvent
    }

    struct Counts {
        var cases = 0, reassignments = 0, escalations = 0, suspensions = 0, resolutions = 0, reopenings = 0, closures = 0, cancellations = 0
        var rowsWithoutChange = 0
    }

    struct Derivation {
        let snapshot: SnapshotMapping
        let context: CSVImport.RowContext
        var events: [Event] = []
        var counts = Counts()

        init(snapshot: SnapshotMapping, context: CSVImport.RowContext) {
            self.snapshot = snapshot
            self.context = context
        }

        /// The line of `group` on `row`: the mapping's ``SnapshotMapping/lines``,
        /// else the row's `line` field if it names one, else `current`.
        func line(of group: String?, row: CSVImport.Row, current: SupportLine) -> SupportLine {
            if let group, let line = snapshot.lines?[group].flatMap({ SupportLine(importText: $0) }) { return line }
            return row.fields["line"].flatMap { SupportLine(importText: $0) } ?? current
        }

        /// One case's rows, in order.
        mutating func derive(_ rows: ArraySlice<CSVImport.RowIndex>) throws {
            counts.cases += 1
            let columns = context.columns
            var state: StateKind?
            var group: String?
            var agent: String?
            var currentLine = SupportLine.firstLine
            var fields: [String: String] = [:]
            var last = Timestamp(microseconds: .min)
            for entry in rows {
                let row = try context.row(entry)
                var emitted = 0
                func emit(_ body: TicketEvent, at time: Timestamp? = nil) throws {
                    // Never before the case's previous event: a stream's times run forward.
                    let at = max(time ?? row.time, last)
                    last = at
                    events.append(Event(
                        time: at.microseconds, caseNumber: entry.caseNumber, serial: events.count, stream: row.caseID,
                        event: try CSVImport.event(body, row: row, number: emitted, at: at, context: context)))
                    emitted += 1
                }
                let kind = snapshot.kind(row.activity, detail: context.text(columns.stateDetail, of: row))!
                let rowGroup = context.text(columns.group, of: row)
                let rowAgent = context.text(columns.agent, of: row)
                let code = context.text(columns.closeCode, of: row) ?? row.activity
                if state == nil {
                    let opened = context.time(columns.opened, of: row) ?? row.time
                    last = opened
                    try emit(.registered(CSVImport.registration(row.fields, number: row.caseID, title: row.fields["title"] ?? "")), at: opened)
                    currentLine = line(of: rowGroup, row: row, current: currentLine)
                    if let rowGroup { try emit(.assigned(.init(group: rowGroup, line: currentLine, agent: rowAgent))) }
                    group = rowGroup
                    agent = rowAgent
                    fields = row.fields
                    for (body, time) in transition(from: .new, to: kind, row: row, agent: rowAgent, code: code, line: currentLine) {
                        try emit(body, at: time)
                    }
                    state = kind
                    continue
                }
                if let rowGroup, rowGroup != group {
                    let from = currentLine
                    let to = line(of: rowGroup, row: row, current: currentLine)
                    currentLine = to
                    if to > from {
                        try emit(.escalated(.init(kind: .functional, fromLine: from, toLine: to, to: rowGroup, reason: "assignment group changed")))
                        counts.escalations += 1
                    } else {
                        try emit(.assigned(.init(group: rowGroup, line: to, agent: rowAgent, reason: "assignment group changed")))
                        counts.reassignments += 1
                    }
                    group = rowGroup
                    agent = to > from ? nil : rowAgent
                }
                if let rowAgent, rowAgent != agent, state == .active, kind == .active {
                    try emit(.workStarted(agent: rowAgent))
                }
                agent = rowAgent ?? agent
                if SnapshotDerivation.priorityFields.contains(where: { row.fields[$0] != fields[$0] }) {
                    let old = CSVImport.levels(fields)
                    let new = CSVImport.levels(row.fields)
                    try emit(.reprioritised(.init(
                        oldImpact: old.impact, newImpact: new.impact, oldUrgency: old.urgency, newUrgency: new.urgency, oldPriority: old.priority,
                        newPriority: new.priority, matrixVersion: new.matrixVersion, reason: "priority changed")))
                }
                if SnapshotDerivation.classificationFields.contains(where: { row.fields[$0] != fields[$0] }) {
                    try emit(.classified(.init(
                        oldCategory: fields["category"] ?? "", newCategory: row.fields["category"] ?? "", oldService: fields["service"] ?? "",
                        newService: row.fields["service"] ?? "", oldConfigurationItems: fields["ci"].map { [$0] } ?? [],
                        newConfigurationItems: row.fields["ci"].map { [$0] } ?? [], reason: "classification changed")))
                }
                for (body, time) in transition(from: state!, to: kind, row: row, agent: agent, code: code, line: currentLine) {
                    try emit(body, at: time)
                }
                if emitted == 0 {
                    if row.fields != fields { try emit(.activityRecorded(name: "updated")) } else { counts.rowsWithoutChange += 1 }
                }
                fields = row.fields
                state = kind
            }
        }

        /// The events that move a ticket from state `p` to state `q`, with their
        /// authoritative times where the export has them.
        mutating func transition(
            from p: StateKind, to q: StateKind, row: CSVImport.Row, agent: String?, code: String, line: SupportLine
        ) -> [(TicketEvent, Timestamp?)] {
            var out: [(TicketEvent, Timestamp?)] = []
            func emit(_ body: TicketEvent, _ time: Timestamp?) { out.append((body, time)) }
            guard p != q else { return out }
            let columns = context.columns
            let reopening = p.isFinished && !q.isFinished
            if reopening {
                emit(.reopened(reason: row.activity), nil)
                counts.reopenings += 1
            }
            let from = reopening ? StateKind.new : p
            var wasSuspended = false
            if case .suspended = from { wasSuspended = true }
            switch q {
            case .new:
                if wasSuspended { emit(.resumed, nil) }
            case .active:
                if wasSuspended { emit(.resumed, nil) } else if from != .active { emit(.workStarted(agent: agent ?? row.resource ?? ""), nil) }
            case .suspended(let reason):
                if wasSuspended { emit(.resumed, nil) }
                emit(.suspended(reason: SnapshotDerivation.reason(reason), note: row.activity), nil)
                counts.suspensions += 1
            case .resolved:
                guard !from.isFinished else { return out }
                emit(.resolved(.init(code: code, line: line)), context.time(columns.resolved, of: row))
                counts.resolutions += 1
            case .closed:
                guard from != .cancelled, from != .closed else { return out }
                if from != .resolved {
                    emit(.resolved(.init(code: code, line: line)), context.time(columns.resolved, of: row))
                    counts.resolutions += 1
                }
                emit(.closed(code: code), context.time(columns.closed, of: row))
                counts.closures += 1
            case .cancelled:
                guard !from.isFinished else { return out }
                emit(.cancelled(reason: code), context.time(columns.closed, of: row))
                counts.cancellations += 1
            }
            return out
        }
    }

    static func reason(_ name: StateKind.SuspensionReasonName) -> SuspensionReason {
        switch name {
        case .caller: .awaitingCaller
        case .vendor: .awaitingVendor
        case .change: .awaitingChange
        case .problem: .awaitingProblem
        case .other: .other
        }
    }
}
