import EventLog
import Testing
import TicketLedger
import TicketLedgerTesting

/// One event of every type, with every field set to something recognisable.
let everyEvent: [TicketEvent] = [
    .registered(.init(
        number: "INC-000001", kind: .incident, channel: .phone, caller: "ann", client: ClientRef("Retail-East", kind: .outsourcedCustomer),
        title: "Till 4 frozen", category: "Hardware", service: "Point of Sale", configurationItems: ["POS-4", "NET-1"],
        impact: .high, urgency: .medium, priority: 2, matrixVersion: 1)),
    .classified(.init(oldCategory: "Hardware", newCategory: "Software", oldService: "Point of Sale", newService: "ERP", oldConfigurationItems: ["POS-4"], newConfigurationItems: [], reason: "misrouted")),
    .reprioritised(.init(oldImpact: .high, newImpact: .low, oldUrgency: .medium, newUrgency: .low, oldPriority: 2, newPriority: 5, matrixVersion: 1, reason: "workaround in place")),
    .assigned(.init(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: "triage")),
    .assigned(.init(group: "POS Terminal Support", line: .specialist, department: .posTerminals, agent: nil, reason: "")),
    .escalated(.init(kind: .functional, fromLine: .firstLine, toLine: .secondLine, to: "2nd Line", department: nil, reason: "unknown error")),
    .escalated(.init(kind: .hierarchical, fromLine: .secondLine, toLine: .secondLine, to: "it-manager", department: .billing, reason: "VIP")),
    .workStarted(agent: "op-1"),
    .suspended(reason: .awaitingVendor, note: "RMA 77"),
    .resumed,
    .commentAdded(visibility: .publicReply, text: "We are on it ✓"),
    .commentAdded(visibility: .internalNote, text: ""),
    .workLogged(agent: "op-1", minutes: 90_000),
    .contactLogged(channel: .chat, inbound: false, handleSeconds: 301),
    .slaAttached(.init(policy: "standard", calendar: "24x7", responseTargetSeconds: 1800, resolutionTargetSeconds: 28_800, responseDue: Timestamp(seconds: 1_700_001_800), resolutionDue: Timestamp(seconds: 1_700_028_800))),
    .resolved(.init(code: "replaced", line: .specialist, kind: .workaround, note: "loan unit")),
    .reopened(reason: "again"),
    .closed(code: "confirmed"),
    .cancelled(reason: "duplicate"),
    .merged(into: "INC-000002"),
    .satisfactionRecorded(score: 4, comment: "quick"),
    .linked(kind: .problem, target: "PRB-000001"),
    .unlinked(kind: .change, target: "CHG-9"),
    .problemOpened(.init(number: "PRB-000001", title: "Tills freeze", category: "Hardware", service: "Point of Sale", configurationItems: ["POS-4"])),
    .rootCauseFound(description: "firmware", configurationItem: "POS-4"),
    .rootCauseFound(description: "unknown", configurationItem: nil),
    .knownErrorRecorded(description: "freeze on update", workaround: "reboot"),
    .problemClosed(resolution: "firmware 2.1"),
    .activityRecorded(name: "Require upgrade"),
    .deskDescribed(name: "Retail IT desk", model: .virtual, libraryVersion: "0.2.0"),
    .personalDataProtected(scheme: "aes-256-gcm-siv/1"),
    .subjectForgotten(subject: "0011223344556677"),
]

@Suite("Event codec")
struct CodecTests {
    @Test("every event type round-trips, with attributes")
    func roundTrip() throws {
        #expect(Set(everyEvent.map(\.typeName)) == TicketEventCodec.knownTypes)
        for body in everyEvent {
            let event = DeskEvent(body, attributes: ["site": "Milan", "asset": "A-1"])
            let (type, schema, payload) = TicketEventCodec.encode(event)
            #expect(type == body.typeName)
            let decoded = try TicketEventCodec.decode(type: type, schemaVersion: schema, payload: payload)
            #expect(decoded == event, "\(type)")
        }
    }

    @Test("the golden payload of a registration")
    func golden() {
        let (_, schema, payload) = TicketEventCodec.encode(DeskEvent(everyEvent[0], attributes: ["k": "v"]))
        #expect(schema == 1)
        // number, kind 1, channel 1, caller, client id, client kind 2, title, category, service,
        // 2 items, impact 1, urgency 2, priority 2, matrix 1 (u16 LE), then 1 attribute.
        #expect(payload.hexString ==
            "0a494e432d3030303030310101" + "03616e6e" + "0b52657461696c2d45617374" + "02"
            + "0d54696c6c20342066726f7a656e" + "084861726477617265" + "0d506f696e74206f662053616c65"
            + "0205504f532d34054e45542d31" + "01020201" + "00" + "01016b0176")
    }

    @Test("an unknown event type decodes to nil, so evolve skips it")
    func unknownType() throws {
        #expect(try TicketEventCodec.decode(type: "TicketTeleported", schemaVersion: 1, payload: [1, 2, 3]) == nil)
    }

    @Test("a schema-1 satisfaction (score only) is upcast with an empty comment")
    func upcast() throws {
        // Schema 1 payload: the score, then the attributes map (empty).
        let decoded = try TicketEventCodec.decode(type: "SatisfactionRecorded", schemaVersion: 1, payload: [3, 0])
        #expect(decoded == DeskEvent(.satisfactionRecorded(score: 3, comment: "")))
        #expect(TicketEvent.satisfactionRecorded(score: 3, comment: "x").schemaVersion == 2)
        // A schema-1 desk description had no library version: the same payload without its last string.
        let (_, schema, current) = TicketEventCodec.encode(DeskEvent(.deskDescribed(name: "Retail IT", model: .virtual, libraryVersion: "")))
        #expect(schema == 2)
        var old = current
        old.remove(at: old.count - 2)  // the empty version string's length byte, before the empty attributes map
        let described = try TicketEventCodec.decode(type: "DeskDescribed", schemaVersion: 1, payload: old)
        #expect(described == DeskEvent(.deskDescribed(name: "Retail IT", model: .virtual, libraryVersion: "")))
    }

    @Test("a damaged payload is refused with the type and byte offset")
    func damaged() throws {
        let (type, schema, payload) = TicketEventCodec.encode(DeskEvent(everyEvent[0]))
        let truncated = #expect(throws: DeskError.self) {
            try TicketEventCodec.decode(type: type, schemaVersion: schema, payload: Array(payload.prefix(20)))
        }
        #expect(truncated?.code == .malformedEvent)
        #expect(truncated?.message.contains("TicketRegistered payload ends at byte 20") == true)
        let newer = #expect(throws: DeskError.self) {
            try TicketEventCodec.decode(type: type, schemaVersion: 7, payload: payload)
        }
        #expect(newer?.message.contains("schema version 7") == true)
        var badEnum = payload
        badEnum[11] = 99  // the kind byte, after the 11 bytes of the number
        let enumError = #expect(throws: DeskError.self) {
            try TicketEventCodec.decode(type: type, schemaVersion: schema, payload: badEnum)
        }
        #expect(enumError?.message.contains("unknown kind 99 at byte 11") == true)
    }
}

@Suite("Event codec in the log")
struct CodecInLogTests {
    @Test("decoding in place equals decoding a copy, for every event type")
    func inPlace() async throws {
        try await withTemporaryLedger { log in
            let proposed = everyEvent.map {
                TicketEventCodec.proposed(DeskEvent($0, attributes: ["a": "1"]), occurredAt: Timestamp(seconds: 1_700_000_000), actor: ActorRef(.agent, "x"))
            }
            _ = try log.append(proposed, to: "INC-000001")
            let copies = try log.read(from: 1).map { try TicketEventCodec.decode($0) }
            var inPlace: [DeskEvent?] = []
            try log.forEachRecord(from: 1) { inPlace.append(try TicketEventCodec.decode($0)) }
            #expect(inPlace == copies)
            #expect(copies.compactMap { $0?.body } == everyEvent)
        }
    }
}
