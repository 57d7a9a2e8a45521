public import EventLog
import Foundation
public import TicketLedger

/// One event as process-mining formats see it: the activity, who, where, and the
/// ticket's state right after it.
struct MinedEvent {
    var id: String
    var position: UInt64
    var activity: String
    var time: Timestamp
    var resource: String
    var resourceKind: ActorRef.Kind
    var lifecycle: String
    var ticket: Ticket
    var event: DeskEvent?
    var type: String
}

/// Walks the log one stream (ticket or problem) at a time, so that a trace's
/// events come together and memory holds one stream, not the export.
enum StreamWalker {
    /// Which streams a walk passes on.
    enum Cases {
        case all, tickets, problems
    }

    static func walk(
        _ log: any EventStore, selection: JSONLinesExport.Selection, cases: Cases = .all, personalData: PersonalData?, progress: ((UInt64) -> Void)?,
        _ body: (_ stream: String, _ events: [MinedEvent], _ final: Ticket) throws -> Void
    ) throws {
        var done: UInt64 = 0
        try log.forEachStream { stream, _ in
            guard !stream.hasPrefix("$"), selection.streams.isEmpty || selection.streams.contains(stream) else { return }
            var state: Ticket?
            var mined: [MinedEvent] = []
            var isProblem: Bool?
            for recorded in try log.readStream(stream) {
                // Revealed here, so that the traces, their attributes and the resources show the plaintext (or `[erased …]`).
                let event = try TicketEventCodec.decode(recorded).map { personalData?.reveal($0) ?? $0 }
                if isProblem == nil, let body = event?.body {
                    // A problem record's stream starts with a problem event.
                    switch body {
                    case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed: isProblem = true
                    default: isProblem = false
                    }
                    if (cases == .tickets && isProblem!) || (cases == .problems && !isProblem!) { return }
                }
                let time = recorded.event.occurredAt
                let before = state
                if let event { state = Ticket.evolve(state, streamID: stream, event: event, occurredAt: time) }
                let ticket = state ?? Ticket(number: stream, at: time)
                done += 1
                if done & 0xFFFF == 0 { progress?(done) }
                if let from = selection.from, time < from { continue }
                if let to = selection.to, time > to { continue }
                mined.append(MinedEvent(
                    id: recorded.id.description, position: recorded.position, activity: TicketEventCodec.activityName(event, type: recorded.type), time: time,
                    resource: personalData?.reveal(recorded.event.actor.id) ?? recorded.event.actor.id, resourceKind: recorded.event.actor.kind,
                    lifecycle: lifecycle(event?.body, before: before), ticket: ticket, event: event, type: recorded.type))
            }
            if !mined.isEmpty, let final = state ?? mined.last?.ticket { try body(stream, mined, final) }
        }
    }

    /// XES lifecycle transitions (IEEE 1849 standard model).
    static func lifecycle(_ body: TicketEvent?, before: Ticket?) -> String {
        switch body {
        case .assigned?: (before?.assignmentCount ?? 0) == 0 && (before?.escalationCount ?? 0) == 0 ? "assign" : "reassign"
        case .escalated(let e)? where e.kind == .functional: "reassign"
        case .workStarted?: "start"
        case .suspended?: "suspend"
        case .resumed?: "resume"
        case .cancelled?: "withdraw"
        default: "complete"
        }
    }
}

/// XES (IEEE 1849) for process-mining tools: one trace per case of one case
/// notion (tickets, or problem records), `concept:name` its number, the
/// ticket's attributes (imported ones included) on the trace.
public enum XESExport {
    /// What a trace is: a ticket (incidents and requests) or a problem record.
    public enum CaseNotion: String, Sendable, CaseIterable {
        /// One trace per ticket; problem records are left out.
        case ticket
        /// One trace per problem record (opened, root cause found, known error, closed).
        case problem
    }

    /// Streams the XES document to `write`.
    @discardableResult
    public static func export(
        _ log: any EventStore, selection: JSONLinesExport.Selection = .init(), caseNotion: CaseNotion = .ticket, personalData: PersonalData? = nil,
        progress: ((UInt64) -> Void)? = nil, write: (String) throws -> Void
    ) throws -> (traces: Int, events: Int) {
        try write("""
            <?xml version="1.0" encoding="UTF-8"?>
            <log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
            <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
            <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
            <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
            <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
            <global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
            <global scope="event"><string key="concept:name" value="__INVALID__"/><date key="time:timestamp" value="1970-01-01T00:00:00.000Z"/><string key="lifecycle:transition" value="complete"/></global>
            <classifier name="Activity" keys="concept:name"/>
            <string key="concept:name" value="TicketLedger export"/>

            """)
        var traces = 0
        var events = 0
        try StreamWalker.walk(log, selection: selection, cases: caseNotion == .ticket ? .tickets : .problems, personalData: personalData, progress: progress) { stream, mined, final in
            var text = "<trace>\n" + string("concept:name", stream)
            for (key, value) in traceAttributes(final) { text += string(key, value) }
            text += "\n"
            for event in mined {
                text += "<event>" + string("concept:name", event.activity) + date("time:timestamp", event.time)
                    + string("lifecycle:transition", event.lifecycle) + string("org:resource", event.resource)
                    + string("org:group", event.ticket.group ?? "") + string("org:role", event.ticket.line.description)
                    + string("ticketledger:eventType", event.type) + string("ticketledger:eventId", event.id)
                    + string("ticketledger:status", event.ticket.status.description) + "</event>\n"
            }
            text += "</trace>\n"
            try write(text)
            traces += 1
            events += mined.count
        }
        try write("</log>\n")
        return (traces, events)
    }

    static func traceAttributes(_ t: Ticket) -> [(String, String)] {
        var attributes: [(String, String)] = [
            ("kind", t.kind.description), ("channel", t.channel.description), ("caller", t.caller), ("client", t.client.id),
            ("title", t.title), ("category", t.category), ("service", t.service),
            ("configurationItems", t.configurationItems.joined(separator: ",")), ("impact", String(t.impact.rawValue)),
            ("urgency", String(t.urgency.rawValue)), ("priority", String(t.priority)), ("status", t.status.description),
        ]
        for key in t.attributes.keys.sorted() { attributes.append(("attribute:" + key, t.attributes[key]!)) }
        return attributes
    }

    static func string(_ key: String, _ value: String) -> String {
        "<string key=\"\(escape(key))\" value=\"\(escape(value))\"/>"
    }

    static func date(_ key: String, _ time: Timestamp) -> String {
        // Milliseconds, as XES readers expect.
        let text = time.description
        return "<date key=\"\(key)\" value=\"\(text.prefix(23))Z\"/>"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }
}

/// CSV for spreadsheets: one row per event with the columns a desk analyst
/// expects, the ticket's state right after the event.
public enum CSVExport {
    static let columns = [
        "ticket", "position", "event", "activity", "time", "actor", "actor kind", "group", "line", "agent", "status after",
        "priority", "category", "service", "configuration items", "channel", "client",
    ]

    /// Streams the CSV (RFC 4180, a header row first) to `write`, one ticket after another.
    @discardableResult
    public static func export(
        _ log: any EventStore, selection: JSONLinesExport.Selection = .init(), personalData: PersonalData? = nil, progress: ((UInt64) -> Void)? = nil,
        write: (String) throws -> Void
    ) throws -> Int {
        try write(columns.joined(separator: ",") + "\r\n")
        var rows = 0
        try StreamWalker.walk(log, selection: selection, personalData: personalData, progress: progress) { stream, mined, _ in
            var text = ""
            for event in mined {
                let t = event.ticket
                let cells = [
                    stream, String(event.position), event.type, event.activity, event.time.description, event.resource,
                    event.resourceKind.description, t.group ?? "", t.line.description, t.agent ?? "", t.status.description,
                    String(t.priority), t.category, t.service, t.configurationItems.joined(separator: " "), t.channel.description, t.client.id,
                ]
                text += cells.map(quote).joined(separator: ",") + "\r\n"
            }
            try write(text)
            rows += mined.count
        }
        return rows
    }

    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
