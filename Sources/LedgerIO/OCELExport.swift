public import EventLog
import Foundation
public import TicketLedger

/// OCEL 2.0 (JSON) for object-centric process mining: object types for tickets,
/// problems, configuration items, callers, groups and agents; every event linked
/// to its objects with a qualifier; priority and status as time-stamped ticket
/// attributes; every referenced object declared.
///
/// Written in two passes over the log (events, then objects), so memory holds
/// one stream and the set of non-ticket objects, not the export.
public enum OCELExport {
    struct Attribute: Encodable {
        var name: String
        var value: String
        var time: String?
    }

    struct Relationship: Encodable, Hashable {
        var objectId: String
        var qualifier: String
    }

    struct Event: Encodable {
        var id: String
        var type: String
        var time: String
        var attributes: [Attribute]
        var relationships: [Relationship]
    }

    struct Object: Encodable {
        var id: String
        var type: String
        var attributes: [Attribute]
        var relationships: [Relationship]
    }

    /// Streams the OCEL 2.0 JSON document to `write`.
    @discardableResult
    public static func export(
        _ log: any EventStore, selection: JSONLinesExport.Selection = .init(), personalData: PersonalData? = nil, progress: ((UInt64) -> Void)? = nil,
        write: (String) throws -> Void
    ) throws -> (objects: Int, events: Int) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var others: [String: String] = [:]  // object id -> type
        var eventTypes = Set<String>()
        var events = 0
        try write("{\"events\":[")
        try StreamWalker.walk(log, selection: selection, personalData: personalData, progress: progress) { stream, mined, _ in
            for event in mined {
                var relationships = [Relationship(objectId: stream, qualifier: stream.hasPrefix("PRB-") ? "problem" : "ticket")]
                func relate(_ id: String, _ type: String, _ qualifier: String) {
                    guard !id.isEmpty else { return }
                    let objectId = type + ":" + id
                    others[objectId] = type
                    relationships.append(Relationship(objectId: objectId, qualifier: qualifier))
                }
                switch event.event?.body {
                case .registered(let e)?:
                    relate(e.caller, "caller", "registered-by")
                    for item in e.configurationItems { relate(item, "configuration item", "affects") }
                case .classified(let e)?:
                    for item in e.newConfigurationItems { relate(item, "configuration item", "affects") }
                case .assigned(let e)?:
                    relate(e.group, "group", "assigned-to")
                    if let agent = e.agent { relate(agent, "agent", "assigned-to") }
                case .escalated(let e)? where e.kind == .functional:
                    relate(e.to, "group", "escalated-to")
                case .workStarted(let agent)?:
                    relate(agent, "agent", "worked-by")
                case .linked(let kind, let target)?, .unlinked(let kind, let target)?:
                    switch kind {
                    case .problem, .knownError: relationships.append(Relationship(objectId: target, qualifier: "linked-problem"))
                    case .ticket: relationships.append(Relationship(objectId: target, qualifier: "linked-ticket"))
                    case .change: relate(target, "change", "linked-change")
                    }
                    if kind != .change, others[target] == nil { others[target] = kind == .ticket ? "ticket" : "problem" }
                case .problemOpened(let e)?:
                    for item in e.configurationItems { relate(item, "configuration item", "affects") }
                default:
                    break
                }
                if event.resourceKind == .agent { relate(event.resource, "agent", "performed-by") }
                if event.resourceKind == .caller, event.event.map({ if case .registered = $0.body { false } else { true } }) ?? true {
                    relate(event.resource, "caller", "performed-by")
                }
                eventTypes.insert(event.activity)
                let line = Event(
                    id: event.id, type: event.activity, time: event.time.description,
                    attributes: [Attribute(name: "lifecycle", value: event.lifecycle), Attribute(name: "resource", value: event.resource)],
                    relationships: Array(Set(relationships)).sorted { ($0.objectId, $0.qualifier) < ($1.objectId, $1.qualifier) })
                try write((events == 0 ? "\n" : ",\n") + (try json(line)))
                events += 1
            }
        }
        // Objects: the streams (with their attributes over time), then everything events referred to.
        try write("\n],\"objects\":[")
        var objects = 0
        var declared = Set<String>()
        var customNames = Set<String>()
        try StreamWalker.walk(log, selection: selection, personalData: personalData, progress: nil) { stream, mined, final in
            var attributes: [Attribute] = []
            var lastPriority: Priority?
            var lastStatus: TicketStatus?
            var lastCustom: [String: String] = [:]
            for event in mined {
                if event.ticket.priority != lastPriority {
                    // 0 states no priority: left out rather than written as a value.
                    if event.ticket.priority != 0 {
                        attributes.append(Attribute(name: "priority", value: String(event.ticket.priority), time: event.time.description))
                    }
                    lastPriority = event.ticket.priority
                }
                // The ticket's custom attributes (an import's product, customer, ...), as they change;
                // `source.*` say where each event came from and stay on the events.
                for (name, value) in event.ticket.attributes.sorted(by: { $0.key < $1.key }) where !name.hasPrefix("source.") && lastCustom[name] != value {
                    attributes.append(Attribute(name: name, value: value, time: event.time.description))
                    lastCustom[name] = value
                    customNames.insert(name)
                }
                if event.ticket.status != lastStatus {
                    attributes.append(Attribute(name: "status", value: event.ticket.status.description, time: event.time.description))
                    lastStatus = event.ticket.status
                }
            }
            let start = mined.first!.time.description
            for (name, value) in [("category", final.category), ("service", final.service), ("channel", final.channel.description), ("client", final.client.id)] {
                attributes.append(Attribute(name: name, value: value, time: start))
            }
            let object = Object(id: stream, type: stream.hasPrefix("PRB-") ? "problem" : "ticket", attributes: attributes, relationships: [])
            try write((objects == 0 ? "\n" : ",\n") + (try json(object)))
            declared.insert(stream)
            objects += 1
        }
        for id in others.keys.sorted() where !declared.contains(id) {
            try write((objects == 0 ? "\n" : ",\n") + (try json(Object(id: id, type: others[id]!, attributes: [], relationships: []))))
            objects += 1
        }
        // Types.
        struct TypeDeclaration: Encodable {
            struct Field: Encodable { var name: String; var type: String }
            var name: String
            var attributes: [Field]
        }
        let standard = ["priority", "status", "category", "service", "channel", "client"]
        let ticketAttributes = standard + customNames.subtracting(standard).sorted()
        let objectTypes = ["ticket", "problem", "configuration item", "caller", "group", "agent", "change"].map { name in
            TypeDeclaration(name: name, attributes: name == "ticket" || name == "problem"
                ? ticketAttributes.map { .init(name: $0, type: "string") } : [])
        }
        let eventTypeDeclarations = eventTypes.sorted().map {
            TypeDeclaration(name: $0, attributes: [.init(name: "lifecycle", type: "string"), .init(name: "resource", type: "string")])
        }
        try write("\n],\"objectTypes\":" + (try json(objectTypes)) + ",\"eventTypes\":" + (try json(eventTypeDeclarations)) + "}\n")
        return (objects, events)
    }
}
