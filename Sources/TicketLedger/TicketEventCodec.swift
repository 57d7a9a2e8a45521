public import EventLog

/// Encodes ``DeskEvent``s into log payloads and decodes them back.
///
/// A payload is the case's fields in declaration order (see ``PayloadWriter`` for
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
        var reader = PayloadReader(payload, eventType: type)
        guard let body = try decodeBody(type: type, schemaVersion: schemaVersion, reader: &reader) else { return nil }
        let attributes = try reader.readMap()
        guard reader.isAtEnd else {
            throw DeskError(.malformedEvent, "\(type) payload (schema \(schemaVersion)) has bytes left over after its fields")
        }
        return DeskEvent(body, attributes: attributes)
    }

    /// Decodes a recorded event of the log.
    public static func decode(_ recorded: RecordedEvent) throws(DeskError) -> DeskEvent? {
        do {
            return try decode(type: recorded.type, schemaVersion: recorded.event.schemaVersion, payload: recorded.payload)
        } catch {
            throw DeskError(.malformedEvent, "event at position \(recorded.position) (stream \(recorded.streamID)): \(error.message)")
        }
    }

    /// Every event type name this library writes.
    public static let knownTypes: Set<String> = [
        "TicketRegistered", "TicketClassified", "TicketReprioritised", "TicketAssigned", "TicketEscalated",
        "WorkStarted", "TicketSuspended", "TicketResumed", "CommentAdded", "WorkLogged", "ContactLogged",
        "SLAAttached", "TicketResolved", "TicketReopened", "TicketClosed", "TicketCancelled", "TicketMerged",
        "SatisfactionRecorded", "TicketLinked", "TicketUnlinked", "ProblemOpened", "RootCauseFound",
        "KnownErrorRecorded", "ProblemClosed", "ActivityRecorded",
    ]

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
        }
    }

    static func decodeBody(type: String, schemaVersion: UInt16, reader r: inout PayloadReader) throws(DeskError) -> TicketEvent? {
        let newest: UInt16 = type == "SatisfactionRecorded" ? 2 : 1
        guard knownTypes.contains(type) else { return nil }
        guard schemaVersion >= 1, schemaVersion <= newest else {
            throw DeskError(.malformedEvent, "\(type) has schema version \(schemaVersion); this library reads 1 to \(newest)")
        }
        switch type {
        case "TicketRegistered":
            return .registered(.init(
                number: try r.readString(), kind: try r.readEnum(TicketKind.self, field: "kind"),
                channel: try r.readEnum(Channel.self, field: "channel"), caller: try r.readString(),
                client: ClientRef(try r.readString(), kind: try r.readEnum(ClientRef.Kind.self, field: "client kind")),
                title: try r.readString(), category: try r.readString(), service: try r.readString(),
                configurationItems: try r.readStrings(), impact: try r.readEnum(Impact.self, field: "impact"),
                urgency: try r.readEnum(Urgency.self, field: "urgency"), priority: try r.readUInt8(),
                matrixVersion: try r.readUInt16()))
        case "TicketClassified":
            return .classified(.init(
                oldCategory: try r.readString(), newCategory: try r.readString(), oldService: try r.readString(),
                newService: try r.readString(), oldConfigurationItems: try r.readStrings(),
                newConfigurationItems: try r.readStrings(), reason: try r.readString()))
        case "TicketReprioritised":
            return .reprioritised(.init(
                oldImpact: try r.readEnum(Impact.self, field: "impact"), newImpact: try r.readEnum(Impact.self, field: "impact"),
                oldUrgency: try r.readEnum(Urgency.self, field: "urgency"), newUrgency: try r.readEnum(Urgency.self, field: "urgency"),
                oldPriority: try r.readUInt8(), newPriority: try r.readUInt8(), matrixVersion: try r.readUInt16(),
                reason: try r.readString()))
        case "TicketAssigned":
            return .assigned(.init(
                group: try r.readString(), line: try r.readEnum(SupportLine.self, field: "line"),
                department: try r.readOptionalString().map(Department.init(rawValue:)), agent: try r.readOptionalString(),
                reason: try r.readString()))
        case "TicketEscalated":
            return .escalated(.init(
                kind: try r.readEnum(EscalationKind.self, field: "escalation kind"),
                fromLine: try r.readEnum(SupportLine.self, field: "line"), toLine: try r.readEnum(SupportLine.self, field: "line"),
                to: try r.readString(), department: try r.readOptionalString().map(Department.init(rawValue:)),
                reason: try r.readString()))
        case "WorkStarted":
            return .workStarted(agent: try r.readString())
        case "TicketSuspended":
            return .suspended(reason: try r.readEnum(SuspensionReason.self, field: "suspension reason"), note: try r.readString())
        case "TicketResumed":
            return .resumed
        case "CommentAdded":
            return .commentAdded(visibility: try r.readEnum(CommentVisibility.self, field: "visibility"), text: try r.readString())
        case "WorkLogged":
            return .workLogged(agent: try r.readString(), minutes: UInt32(clamping: try r.readVarint()))
        case "ContactLogged":
            return .contactLogged(
                channel: try r.readEnum(Channel.self, field: "channel"), inbound: try r.readBool(),
                handleSeconds: UInt32(clamping: try r.readVarint()))
        case "SLAAttached":
            return .slaAttached(.init(
                policy: try r.readString(), calendar: try r.readString(), responseTargetSeconds: try r.readInt64(),
                resolutionTargetSeconds: try r.readInt64(), responseDue: try r.readTimestamp(), resolutionDue: try r.readTimestamp()))
        case "TicketResolved":
            return .resolved(.init(
                code: try r.readString(), line: try r.readEnum(SupportLine.self, field: "line"),
                kind: try r.readEnum(ResolutionKind.self, field: "resolution kind"), note: try r.readString()))
        case "TicketReopened":
            return .reopened(reason: try r.readString())
        case "TicketClosed":
            return .closed(code: try r.readString())
        case "TicketCancelled":
            return .cancelled(reason: try r.readString())
        case "TicketMerged":
            return .merged(into: try r.readString())
        case "SatisfactionRecorded":
            let score = try r.readUInt8()
            // Schema 1 had the score only; upcast with an empty comment.
            let comment = schemaVersion >= 2 ? try r.readString() : ""
            return .satisfactionRecorded(score: score, comment: comment)
        case "TicketLinked":
            return .linked(kind: try r.readEnum(LinkKind.self, field: "link kind"), target: try r.readString())
        case "TicketUnlinked":
            return .unlinked(kind: try r.readEnum(LinkKind.self, field: "link kind"), target: try r.readString())
        case "ProblemOpened":
            return .problemOpened(.init(
                number: try r.readString(), title: try r.readString(), category: try r.readString(),
                service: try r.readString(), configurationItems: try r.readStrings()))
        case "RootCauseFound":
            return .rootCauseFound(description: try r.readString(), configurationItem: try r.readOptionalString())
        case "KnownErrorRecorded":
            return .knownErrorRecorded(description: try r.readString(), workaround: try r.readString())
        case "ProblemClosed":
            return .problemClosed(resolution: try r.readString())
        case "ActivityRecorded":
            return .activityRecorded(name: try r.readString())
        default:
            return nil
        }
    }
}
