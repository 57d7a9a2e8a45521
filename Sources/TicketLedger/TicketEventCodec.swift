public import EventLog
import Foundation

/// Encodes ``DeskEvent``s into log payloads and decodes them back.
///
/// A payload is the case's fields in declaration order (docs/FORMAT.md lists
/// the encodings), followed by the attributes map. Decoding takes the stored
/// schema version and upcasts older ones; an event type this library does not
/// know decodes to `nil`, so `evolve` skips it while reads and exports keep it.
public enum TicketEventCodec {
    /// The log's fields for `event`: type name, schema version, payload.
    public static func encode(_ event: DeskEvent) -> (type: String, schemaVersion: UInt16, payload: [UInt8]) {
        var writer = PayloadWriter()
        encodeBody(event.body, into: &writer)
        writer.write(event.attributes)
        return (event.body.typeName, event.body.schemaVersion, writer.bytes)
    }

    /// A proposed event for the log, ready to append.
    public static func proposed(
        _ event: DeskEvent, id: EventID = .make(), occurredAt: Timestamp, actor: ActorRef,
        correlationID: EventID = .zero, causationID: EventID = .zero
    ) -> ProposedEvent {
        let (type, schemaVersion, payload) = encode(event)
        return ProposedEvent(
            id: id, type: type, schemaVersion: schemaVersion, occurredAt: occurredAt, actor: actor,
            correlationID: correlationID, causationID: causationID, payload: payload)
    }

    /// The event stored with `type`, `schemaVersion` and `payload`, or `nil` when
    /// the type is unknown to this library (a newer writer's).
    ///
    /// - Throws: ``DeskError/Code/malformedEvent`` naming the type and byte offset
    ///   when the payload does not decode, or the schema version is newer than this
    ///   library reads.
    public static func decode(type: String, schemaVersion: UInt16, payload: [UInt8]) throws(DeskError) -> DeskEvent? {
        guard let known = EventType(name: type) else { return nil }
        do {
            return try payload.withUnsafeBytes { (bytes) throws(DeskError) in
                try decode(known, schemaVersion: schemaVersion, payload: bytes)
            }
        } catch let error as DeskError {
            throw error
        } catch {
            throw DeskError(.malformedEvent, "\(type): \(error)")
        }
    }

    /// Decodes a recorded event of the log.
    public static func decode(_ recorded: RecordedEvent) throws(DeskError) -> DeskEvent? {
        do {
            return try decode(type: recorded.type, schemaVersion: recorded.event.schemaVersion, payload: recorded.payload)
        } catch {
            throw DeskError(.malformedEvent, "event at position \(recorded.position) (stream \(recorded.streamID)): \(error.message)")
        }
    }

    /// The attribute in which an imported event keeps its source's activity name.
    public static let sourceActivityAttribute = "source.activity"

    /// An event's activity, as process analysis and process-mining exports name
    /// it: an imported event's original activity, the name of an activity that
    /// maps to no type, or else the event type (`type`, also for events this
    /// library cannot decode).
    public static func activityName(_ event: DeskEvent?, type: String) -> String {
        if let original = event?.attributes[sourceActivityAttribute] { return original }
        if case .activityRecorded(let name)? = event?.body { return name }
        return type
    }

    /// Decodes a record in place (see `EventLog.forEachRecord`): the fast path for
    /// projections, which copies only the strings the event holds.
    public static func decode(_ record: RecordView) throws(DeskError) -> DeskEvent? {
        guard let known = EventType(bytes: record.typeBytes) else { return nil }
        do {
            return try decode(known, schemaVersion: record.schemaVersion, payload: record.payload)
        } catch {
            throw DeskError(.malformedEvent, "event at position \(record.position) (stream \(record.streamID)): \(error.message)")
        }
    }

    private static func decode(_ type: EventType, schemaVersion: UInt16, payload: UnsafeRawBufferPointer) throws(DeskError) -> DeskEvent {
        var reader = PayloadReader(payload, eventType: type.name)
        let body = try decodeBody(type, schemaVersion: schemaVersion, reader: &reader)
        let attributes = try reader.readMap()
        guard reader.isAtEnd else {
            throw DeskError(.malformedEvent, "\(type.name) payload (schema \(schemaVersion)) has bytes left over after its fields")
        }
        return DeskEvent(body, attributes: attributes)
    }

    /// Every event type name this library writes.
    public static let knownTypes: Set<String> = Set(EventType.allCases.map(\.name))

    static func encodeBody(_ body: TicketEvent, into w: inout PayloadWriter) {
        switch body {
        case .registered(let e):
            w.write(e.number)
            w.write(e.kind.rawValue)
            w.write(e.channel.rawValue)
            w.write(e.caller)
            w.write(e.client.id)
            w.write(e.client.kind.rawValue)
            w.write(e.title)
            w.write(e.category)
            w.write(e.service)
            w.write(e.configurationItems)
            w.write(e.impact.rawValue)
            w.write(e.urgency.rawValue)
            w.write(e.priority)
            w.write(e.matrixVersion)
        case .classified(let e):
            w.write(e.oldCategory)
            w.write(e.newCategory)
            w.write(e.oldService)
            w.write(e.newService)
            w.write(e.oldConfigurationItems)
            w.write(e.newConfigurationItems)
            w.write(e.reason)
        case .reprioritised(let e):
            w.write(e.oldImpact.rawValue)
            w.write(e.newImpact.rawValue)
            w.write(e.oldUrgency.rawValue)
            w.write(e.newUrgency.rawValue)
            w.write(e.oldPriority)
            w.write(e.newPriority)
            w.write(e.matrixVersion)
            w.write(e.reason)
        case .assigned(let e):
            w.write(e.group)
            w.write(e.line.rawValue)
            w.write(e.department?.rawValue)
            w.write(e.agent)
            w.write(e.reason)
        case .escalated(let e):
            w.write(e.kind.rawValue)
            w.write(e.fromLine.rawValue)
            w.write(e.toLine.rawValue)
            w.write(e.to)
            w.write(e.department?.rawValue)
            w.write(e.reason)
        case .workStarted(let agent):
            w.write(agent)
        case .suspended(let reason, let note):
            w.write(reason.rawValue)
            w.write(note)
        case .resumed:
            break
        case .commentAdded(let visibility, let text):
            w.write(visibility.rawValue)
            w.write(text)
        case .workLogged(let agent, let minutes):
            w.write(agent)
            w.writeVarint(UInt64(minutes))
        case .contactLogged(let channel, let inbound, let handleSeconds):
            w.write(channel.rawValue)
            w.write(inbound)
            w.writeVarint(UInt64(handleSeconds))
        case .slaAttached(let e):
            w.write(e.policy)
            w.write(e.calendar)
            w.write(e.responseTargetSeconds)
            w.write(e.resolutionTargetSeconds)
            w.write(e.responseDue)
            w.write(e.resolutionDue)
        case .resolved(let e):
            w.write(e.code)
            w.write(e.line.rawValue)
            w.write(e.kind.rawValue)
            w.write(e.note)
        case .reopened(let reason), .cancelled(let reason):
            w.write(reason)
        case .closed(let code):
            w.write(code)
        case .merged(let into):
            w.write(into)
        case .satisfactionRecorded(let score, let comment):
            w.write(score)
            w.write(comment)
        case .linked(let kind, let target), .unlinked(let kind, let target):
            w.write(kind.rawValue)
            w.write(target)
        case .problemOpened(let e):
            w.write(e.number)
            w.write(e.title)
            w.write(e.category)
            w.write(e.service)
            w.write(e.configurationItems)
        case .rootCauseFound(let description, let item):
            w.write(description)
            w.write(item)
        case .knownErrorRecorded(let description, let workaround):
            w.write(description)
            w.write(workaround)
        case .problemClosed(let resolution):
            w.write(resolution)
        case .activityRecorded(let name):
            w.write(name)
        case .deskDescribed(let name, let model, let libraryVersion):
            w.write(name)
            w.write(model.rawValue)
            w.write(libraryVersion)
        case .personalDataProtected(let scheme):
            w.write(scheme)
        case .subjectForgotten(let subject):
            w.write(subject)
        }
    }

    static func decodeBody(_ type: EventType, schemaVersion: UInt16, reader r: inout PayloadReader) throws(DeskError) -> TicketEvent {
        let newest: UInt16 = type == .satisfactionRecorded || type == .deskDescribed ? 2 : 1
        guard schemaVersion >= 1, schemaVersion <= newest else {
            throw DeskError(.malformedEvent, "\(type.name) has schema version \(schemaVersion); this library reads 1 to \(newest)")
        }
        switch type {
        case .registered:
            return .registered(.init(
                number: try r.readString(), kind: try r.readEnum(TicketKind.self, field: "kind"),
                channel: try r.readEnum(Channel.self, field: "channel"), caller: try r.readString(),
                client: ClientRef(try r.readString(), kind: try r.readEnum(ClientRef.Kind.self, field: "client kind")),
                title: try r.readString(), category: try r.readString(), service: try r.readString(),
                configurationItems: try r.readStrings(), impact: try r.readEnum(Impact.self, field: "impact"),
                urgency: try r.readEnum(Urgency.self, field: "urgency"), priority: try r.readUInt8(),
                matrixVersion: try r.readUInt16()))
        case .classified:
            return .classified(.init(
                oldCategory: try r.readString(), newCategory: try r.readString(), oldService: try r.readString(),
                newService: try r.readString(), oldConfigurationItems: try r.readStrings(),
                newConfigurationItems: try r.readStrings(), reason: try r.readString()))
        case .reprioritised:
            return .reprioritised(.init(
                oldImpact: try r.readEnum(Impact.self, field: "impact"), newImpact: try r.readEnum(Impact.self, field: "impact"),
                oldUrgency: try r.readEnum(Urgency.self, field: "urgency"), newUrgency: try r.readEnum(Urgency.self, field: "urgency"),
                oldPriority: try r.readUInt8(), newPriority: try r.readUInt8(), matrixVersion: try r.readUInt16(),
                reason: try r.readString()))
        case .assigned:
            return .assigned(.init(
                group: try r.readString(), line: try r.readEnum(SupportLine.self, field: "line"),
                department: try r.readOptionalString().map(Department.init(rawValue:)), agent: try r.readOptionalString(),
                reason: try r.readString()))
        case .escalated:
            return .escalated(.init(
                kind: try r.readEnum(EscalationKind.self, field: "escalation kind"),
                fromLine: try r.readEnum(SupportLine.self, field: "line"), toLine: try r.readEnum(SupportLine.self, field: "line"),
                to: try r.readString(), department: try r.readOptionalString().map(Department.init(rawValue:)),
                reason: try r.readString()))
        case .workStarted:
            return .workStarted(agent: try r.readString())
        case .suspended:
            return .suspended(reason: try r.readEnum(SuspensionReason.self, field: "suspension reason"), note: try r.readString())
        case .resumed:
            return .resumed
        case .commentAdded:
            return .commentAdded(visibility: try r.readEnum(CommentVisibility.self, field: "visibility"), text: try r.readString())
        case .workLogged:
            return .workLogged(agent: try r.readString(), minutes: UInt32(clamping: try r.readVarint()))
        case .contactLogged:
            return .contactLogged(
                channel: try r.readEnum(Channel.self, field: "channel"), inbound: try r.readBool(),
                handleSeconds: UInt32(clamping: try r.readVarint()))
        case .slaAttached:
            return .slaAttached(.init(
                policy: try r.readString(), calendar: try r.readString(), responseTargetSeconds: try r.readInt64(),
                resolutionTargetSeconds: try r.readInt64(), responseDue: try r.readTimestamp(), resolutionDue: try r.readTimestamp()))
        case .resolved:
            return .resolved(.init(
                code: try r.readString(), line: try r.readEnum(SupportLine.self, field: "line"),
                kind: try r.readEnum(ResolutionKind.self, field: "resolution kind"), note: try r.readString()))
        case .reopened:
            return .reopened(reason: try r.readString())
        case .closed:
            return .closed(code: try r.readString())
        case .cancelled:
            return .cancelled(reason: try r.readString())
        case .merged:
            return .merged(into: try r.readString())
        case .satisfactionRecorded:
            let score = try r.readUInt8()
            // Schema 1 had the score only; upcast with an empty comment.
            let comment = schemaVersion >= 2 ? try r.readString() : ""
            return .satisfactionRecorded(score: score, comment: comment)
        case .linked:
            return .linked(kind: try r.readEnum(LinkKind.self, field: "link kind"), target: try r.readString())
        case .unlinked:
            return .unlinked(kind: try r.readEnum(LinkKind.self, field: "link kind"), target: try r.readString())
        case .problemOpened:
            return .problemOpened(.init(
                number: try r.readString(), title: try r.readString(), category: try r.readString(),
                service: try r.readString(), configurationItems: try r.readStrings()))
        case .rootCauseFound:
            return .rootCauseFound(description: try r.readString(), configurationItem: try r.readOptionalString())
        case .knownErrorRecorded:
            return .knownErrorRecorded(description: try r.readString(), workaround: try r.readString())
        case .problemClosed:
            return .problemClosed(resolution: try r.readString())
        case .activityRecorded:
            return .activityRecorded(name: try r.readString())
        case .deskDescribed:
            let name = try r.readString()
            let model = try r.readEnum(DeskModel.self, field: "desk model")
            // Schema 1 did not record the library's version; upcast with an empty one.
            return .deskDescribed(name: name, model: model, libraryVersion: schemaVersion >= 2 ? try r.readString() : "")
        case .personalDataProtected:
            return .personalDataProtected(scheme: try r.readString())
        case .subjectForgotten:
            return .subjectForgotten(subject: try r.readString())
        }
    }
}

/// The event types this library knows, found by name without allocating.
enum EventType: UInt8, CaseIterable {
    case registered
    case classified
    case reprioritised
    case assigned
    case escalated
    case workStarted
    case suspended
    case resumed
    case commentAdded
    case workLogged
    case contactLogged
    case slaAttached
    case resolved
    case reopened
    case closed
    case cancelled
    case merged
    case satisfactionRecorded
    case linked
    case unlinked
    case problemOpened
    case rootCauseFound
    case knownErrorRecorded
    case problemClosed
    case activityRecorded
    case deskDescribed
    case personalDataProtected
    case subjectForgotten

    var name: String { Self.names[Int(rawValue)] }

    private static let names = [
        "TicketRegistered",
        "TicketClassified",
        "TicketReprioritised",
        "TicketAssigned",
        "TicketEscalated",
        "WorkStarted",
        "TicketSuspended",
        "TicketResumed",
        "CommentAdded",
        "WorkLogged",
        "ContactLogged",
        "SLAAttached",
        "TicketResolved",
        "TicketReopened",
        "TicketClosed",
        "TicketCancelled",
        "TicketMerged",
        "SatisfactionRecorded",
        "TicketLinked",
        "TicketUnlinked",
        "ProblemOpened",
        "RootCauseFound",
        "KnownErrorRecorded",
        "ProblemClosed",
        "ActivityRecorded",
        "DeskDescribed",
        "PersonalDataProtected",
        "SubjectForgotten",
    ]
    private static let utf8 = names.map { Array($0.utf8) }

    init?(name: String) {
        guard let index = Self.names.firstIndex(of: name) else { return nil }
        self.init(rawValue: UInt8(index))
    }

    init?(bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return nil }
        for (index, candidate) in Self.utf8.enumerated() where candidate.count == bytes.count {
            if candidate.withUnsafeBytes({ memcmp($0.baseAddress!, base, bytes.count) == 0 }) {
                self.init(rawValue: UInt8(index))
                return
            }
        }
        return nil
    }
}
