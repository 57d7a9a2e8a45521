import ArgumentParser
import EventLog
import TicketLedger

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every event of one ticket or problem, with actor, times and position.")

    @OptionGroup var options: LedgerOptions

    @Argument(help: "The ticket or problem number, e.g. INC-000123.")
    var ticket: String

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        let bytes = ticket.utf8.count
        guard (1...RecordFormat.maximumStreamIDBytes).contains(bytes) else {
            throw ValidationError("a ticket or problem number has 1 to \(RecordFormat.maximumStreamIDBytes) bytes, not \(bytes)")
        }
    }

    struct Entry: Encodable {
        var position: UInt64
        var version: UInt64
        var type: String
        var schemaVersion: UInt16
        var occurredAt: Timestamp
        var recordedAt: Timestamp
        var actor: String
        var actorKind: String
        var summary: String
        var attributes: [String: String]
    }

    struct Output: Encodable {
        var ticket: String
        var events: [Entry]
    }

    func run() throws {
        let log = try openForReading(options)
        defer { log.close() }
        let entries = try Desk(log: log, personalData: try options.personalDataForReading(log)).history(ticket)
        guard !entries.isEmpty else { throw DeskFailure("no ticket or problem \(ticket) in this ledger") }
        let rows = entries.map { entry in
            Entry(
                position: entry.position, version: entry.version, type: entry.type, schemaVersion: entry.schemaVersion,
                occurredAt: entry.occurredAt, recordedAt: entry.recordedAt, actor: entry.actor.id, actorKind: entry.actor.kind.description,
                summary: entry.event.map { summary($0.body) } ?? "(an event type this version does not know)",
                attributes: entry.event?.attributes ?? [:])
        }
        if json {
            printJSON(Output(ticket: ticket, events: rows))
            return
        }
        var table = Table("#", "v", "occurred", "by", "event")
        for row in rows {
            table.add(String(row.position), String(row.version), String(row.occurredAt.description.prefix(19)), "\(row.actorKind):\(row.actor)", "\(row.type): \(row.summary)")
        }
        print(table.render())
    }
}

/// One line about an event, for people.
func summary(_ event: TicketEvent) -> String {
    switch event {
    case .registered(let e): "\(e.kind) via \(e.channel) from \(e.caller) (\(e.client)): \"\(e.title)\", \(e.category) / \(e.service) / \(e.configurationItems.joined(separator: ", ")), priority \(e.priority)"
    case .classified(let e): "\(e.oldCategory) → \(e.newCategory), \(e.oldService) → \(e.newService)"
    case .reprioritised(let e): "priority \(e.oldPriority) → \(e.newPriority): \(e.reason)"
    case .assigned(let e): "to \(e.group) (\(e.line))\(e.agent.map { ", \($0)" } ?? "")"
    case .escalated(let e): e.kind == .functional ? "to \(e.to) (\(e.fromLine) → \(e.toLine)): \(e.reason)" : "management informed (\(e.to)): \(e.reason)"
    case .workStarted(let agent): "by \(agent)"
    case .suspended(let reason, let note): "\(reason)\(note.isEmpty ? "" : ": \(note)")"
    case .resumed: "resumed"
    case .commentAdded(let visibility, let text): "\(visibility == .publicReply ? "public" : "internal"): \(text)"
    case .workLogged(let agent, let minutes): "\(minutes) min by \(agent)"
    case .contactLogged(let channel, let inbound, let seconds): "\(inbound ? "inbound" : "outbound") \(channel), \(seconds) s"
    case .slaAttached(let e): "\(e.policy): respond by \(e.responseDue), resolve by \(e.resolutionDue)"
    case .resolved(let e): "\(e.code) at the \(e.line) (\(e.kind == .fix ? "fix" : "workaround"))"
    case .reopened(let reason): reason
    case .closed(let code): code
    case .cancelled(let reason): reason
    case .merged(let into): "into \(into)"
    case .satisfactionRecorded(let score, let comment): "score \(score)\(comment.isEmpty ? "" : ": \(comment)")"
    case .linked(let kind, let target): "to \(kind) \(target)"
    case .unlinked(let kind, let target): "from \(kind) \(target)"
    case .problemOpened(let e): "\"\(e.title)\" on \(e.configurationItems.joined(separator: ", "))"
    case .rootCauseFound(let description, _): description
    case .knownErrorRecorded(let description, let workaround): "\(description); workaround: \(workaround)"
    case .problemClosed(let resolution): resolution
    case .activityRecorded(let name): name
    case .deskDescribed(let name, let model, let version): "\(name) (\(model))\(version.isEmpty ? "" : ", TicketLedger \(version)")"
    case .personalDataProtected(let scheme): "personal data sealed per subject (\(scheme))"
    case .subjectForgotten(let subject): "the key of subject \(subject) destroyed: its personal data erased"
    }
}
