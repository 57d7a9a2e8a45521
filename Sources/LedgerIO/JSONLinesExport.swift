import Crypto
public import EventLog
import Foundation

/// The first line of a JSON Lines export: what was exported and the ledger's
/// chain head at the time, so that a full export can be checked against it.
public struct ExportHeader: Codable, Sendable, Hashable {
    /// Always `ticketledger-export`.
    public var format = "ticketledger-export"
    /// The export layout's version (1).
    public var version = 1
    /// The ledger's folder name (its last path component).
    public var ledger: String
    /// Whether every position from 1 to the chain head is exported (no filter).
    public var full: Bool
    /// The filter, in words (`all events`, `tickets INC-000001`, ...).
    public var selection: String
    /// The ledger's chain head when the export began.
    public var chainHeadPosition: UInt64
    /// Its hash, hexadecimal.
    public var chainHeadHash: String
}

/// One exported event: every envelope field, the payload, and what proves it:
/// the record's bytes, its hash and the previous record's hash.
public struct ExportedEvent: Codable, Sendable, Hashable {
    public var position: UInt64
    public var streamId: String
    public var streamVersion: UInt64
    public var eventId: String
    public var type: String
    public var schemaVersion: UInt16
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    public var actorKind: UInt8
    public var actorId: String
    public var correlationId: String
    public var causationId: String
    /// The payload, base64.
    public var payload: String
    /// The whole record, base64 (the bytes the hash covers, then the hash).
    public var record: String
    /// The record's hash, hexadecimal.
    public var hash: String
    /// The previous record's hash, hexadecimal (zeros for position 1).
    public var previousHash: String

    /// The line for a record whose previous record's hash is `previous`.
    public init(_ view: RecordView, previousHash previous: [UInt8]) {
        position = view.position
        streamId = view.streamID
        streamVersion = view.streamVersion
        eventId = view.id.description
        type = view.type
        schemaVersion = view.schemaVersion
        occurredAt = view.occurredAt
        recordedAt = view.recordedAt
        actorKind = view.actorKind.rawValue
        actorId = view.actor.id
        correlationId = view.correlationID.description
        causationId = view.causationID.description
        payload = Data(view.payload).base64EncodedString()
        record = Data(view.bytes).base64EncodedString()
        hash = view.hashBytes.hexString
        previousHash = previous.hexString
    }
}

extension ExportedEvent {
    /// The event as one JSON line (keys sorted, newline included), written by
    /// hand: the same bytes `JSONEncoder` with sorted keys gives, many times faster.
    var jsonLine: String {
        var line = "{\"actorId\":" + Self.quoted(actorId) + ",\"actorKind\":" + String(actorKind)
        line += ",\"causationId\":\"" + causationId + "\",\"correlationId\":\"" + correlationId + "\",\"eventId\":\"" + eventId
        line += "\",\"hash\":\"" + hash + "\",\"occurredAt\":\"" + occurredAt.description + "\",\"payload\":\"" + payload
        line += "\",\"position\":" + String(position) + ",\"previousHash\":\"" + previousHash + "\",\"record\":\"" + record
        line += "\",\"recordedAt\":\"" + recordedAt.description + "\",\"schemaVersion\":" + String(schemaVersion)
        line += ",\"streamId\":" + Self.quoted(streamId) + ",\"streamVersion\":" + String(streamVersion)
        line += ",\"type\":" + Self.quoted(type) + "}\n"
        return line
    }

    /// A JSON string literal (RFC 8259 escapes; `/` left alone, as the encoder does).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Writes a ledger, or a selection of it, as JSON Lines for auditors
/// (`docs/AUDIT.md` describes the layout and how to check it).
public enum JSONLinesExport {
    /// Which events to export.
    public struct Selection: Sendable, Hashable {
        /// Only these streams (ticket or problem numbers); empty: all.
        public var streams: Set<String> = []
        /// Only events that occurred at or after this.
        public var from: Timestamp?
        /// Only events that occurred at or before this.
        public var to: Timestamp?

        public init(streams: Set<String> = [], from: Timestamp? = nil, to: Timestamp? = nil) {
            self.streams = streams
            self.from = from
            self.to = to
        }

        var isEverything: Bool { streams.isEmpty && from == nil && to == nil }

        var words: String {
            var parts: [String] = []
            if !streams.isEmpty { parts.append("streams " + streams.sorted().joined(separator: ", ")) }
            if let from { parts.append("from \(from)") }
            if let to { parts.append("to \(to)") }
            return parts.isEmpty ? "all events" : parts.joined(separator: ", ")
        }

        func contains(_ view: RecordView) -> Bool {
            if let from, view.occurredAt < from { return false }
            if let to, view.occurredAt > to { return false }
            return streams.isEmpty || streams.contains(view.streamID)
        }
    }

    /// Streams the export to `write` line by line (each with its newline), in
    /// position order; memory does not grow with the ledger.
    ///
    /// - Returns: the number of events written.
    @discardableResult
    public static func export(
        _ log: any EventStore, selection: Selection = .init(), progress: ((UInt64) -> Void)? = nil, write: (String) throws -> Void
    ) throws -> Int {
        let head = try log.head()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = ExportHeader(
            ledger: log.name, full: selection.isEverything, selection: selection.words,
            chainHeadPosition: head.position, chainHeadHash: head.hashHex)
        try write(String(decoding: try encoder.encode(header), as: UTF8.self) + "\n")
        var previous = ChainHead.empty.hash
        var written = 0
        try log.forEachRecord(from: 1, limit: Int(head.position)) { view in
            if selection.contains(view) {
                try write(ExportedEvent(view, previousHash: previous).jsonLine)
                written += 1
            }
            previous = Array(view.hashBytes)
            if view.position & 0xFFFF == 0 { progress?(view.position) }
        }
        return written
    }
}
