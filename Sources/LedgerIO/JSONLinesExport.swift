import Crypto
public import EventLog
import Foundation

/// The first line of a JSON Lines export: what was exported, the ledger's chain
/// head at the time, and for a ticket export each ticket's entry in the stream
/// map with its proof (`AuditAlgorithm` in this module's documentation).
public struct ExportHeader: Codable, Sendable, Hashable {
    /// Always `ticketledger-export`.
    public var format = "ticketledger-export"
    /// The export layout's version: 2 (with proofs and a checkpoint); 1 had neither.
    public var version = 2
    /// The ledger's folder name (its last path component).
    public var ledger: String
    /// Whether every position from 1 to the chain head is exported (no filter).
    public var full: Bool
    /// The filter, in words (`all events`, `streams INC-000001`, ...).
    public var selection: String
    /// The ledger's chain head when the export began: the checkpoint's size.
    public var chainHeadPosition: UInt64
    /// Its hash, hexadecimal.
    public var chainHeadHash: String
    /// The streams selected (tickets, problems), in byte order; nil when not filtered by stream.
    public var streams: [String]?
    /// The earliest occurrence time selected, if any.
    public var from: Timestamp?
    /// The latest occurrence time selected, if any.
    public var to: Timestamp?
    /// For each selected stream, its entry in the checkpoint's stream map and the entry's proof.
    public var streamProofs: [ExportedStreamProof]?
}

/// A stream's entry in a checkpoint's stream map (`StreamEntry`) and its
/// inclusion proof: with it, a ticket export proves the ticket complete.
public struct ExportedStreamProof: Codable, Sendable, Hashable {
    /// The stream.
    public var streamId: String
    /// Its events up to the checkpoint.
    public var count: UInt64
    /// The hash of its history, hexadecimal.
    public var history: String
    /// Its leaf's index in the map.
    public var mapIndex: UInt64
    /// The leaf's RFC 9162 inclusion proof in the map: its hashes, leaf side
    /// first, 32 bytes each, concatenated in one base64 string.
    public var mapProof: String
}

/// The last line of a version 2 export: the checkpoint of the ledger at the
/// export's chain head, as a C2SP signed note (or its unsigned text when no
/// key was given). Its `export` extension line is the base64 SHA-256 of every
/// byte of the export before this line.
public struct ExportTrailer: Codable, Sendable, Hashable {
    /// Always `ticketledger-checkpoint`.
    public var format = "ticketledger-checkpoint"
    /// The note.
    public var checkpoint: String
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
    /// The record's RFC 9162 inclusion proof in the checkpoint's tree: its
    /// hashes, leaf side first, 32 bytes each, concatenated in one base64 string;
    /// nil in a full export (its records give the root).
    public var proof: String?

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
        line += "\",\"position\":" + String(position) + ",\"previousHash\":\"" + previousHash
        if let proof { line += "\",\"proof\":\"" + proof }
        line += "\",\"record\":\"" + record
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
            contains(occurredAt: view.occurredAt) && (streams.isEmpty || streams.contains(view.streamID))
        }

        /// Whether a time is in the selection's period.
        func contains(occurredAt time: Timestamp) -> Bool {
            if let from, time < from { return false }
            if let to, time > to { return false }
            return true
        }
    }

    /// Streams the export to `write` line by line (each with its newline), in
    /// position order: the header, the events, then the checkpoint of the ledger
    /// at its chain head, signed by `signer` when given, whose `export` line is
    /// the SHA-256 of every byte before it. A selection's events carry their
    /// inclusion proofs and a ticket export its tickets' map proofs, so that
    /// ``ExportVerifier`` proves them included and the tickets complete.
    ///
    /// A full export reads the ledger once. A selection of tickets reads their
    /// events through the stream index, and their proofs from the proof index
    /// (`ProofIndex` in EventLog): a few stored hashes per event and one entry per stream,
    /// no pass over the records. A selection by period alone reads the ledger
    /// once to select and its events' span to write. Memory grows with the
    /// number of streams and of selected events, not with the ledger.
    ///
    /// - Parameters:
    ///   - log: the ledger.
    ///   - selection: which events; everything by default (a full export).
    ///   - signer: the key that signs the checkpoint; without one it is unsigned.
    ///   - origin: the checkpoint's origin; by default the signer's name, or the ledger's.
    ///   - time: the checkpoint's time.
    ///   - progress: called now and then with the position reached.
    ///   - write: receives each line, newline included.
    /// - Returns: the number of events written.
    /// - Throws: when a selected stream has no events.
    @discardableResult
    public static func export(
        _ log: any EventStore, selection: Selection = .init(), signer: NoteSigner? = nil, origin: String? = nil,
        time: Timestamp = .now(), progress: ((UInt64) -> Void)? = nil, write: (String) throws -> Void
    ) throws -> Int {
        let head = try log.head()
        var digest = SHA256()
        func emit(_ text: String) throws {
            var text = text
            text.withUTF8 { digest.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            try write(text)
        }
        var header = ExportHeader(
            ledger: log.name, full: selection.isEverything, selection: selection.words,
            chainHeadPosition: head.position, chainHeadHash: head.hashHex)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func emitHeader() throws { try emit(String(decoding: try encoder.encode(header), as: UTF8.self) + "\n") }
        let proof: LedgerProof
        var written = 0
        if selection.isEverything {
            // A full export proves itself in its own pass: its records give the roots.
            try emitHeader()
            var builder = try LedgerProof.Builder(size: head.position)
            var previous = ChainHead.empty.hash
            try log.forEachRecord(from: 1, limit: Int(head.position)) { view in
                try emit(ExportedEvent(view, previousHash: previous).jsonLine)
                builder.add(view)
                previous = Array(view.hashBytes)
                written += 1
                if view.position & 0xFFFF == 0 { progress?(view.position) }
            }
            proof = try builder.finish()
        } else {
            // A selection: find its positions (through the stream index when it
            // names streams, by a pass otherwise), prove them, then read them.
            var positions: [UInt64] = []
            if selection.streams.isEmpty {
                try log.forEachRecord(from: 1, limit: Int(head.position)) { view in
                    if selection.contains(view) { positions.append(view.position) }
                    if view.position & 0xFFFF == 0 { progress?(view.position / 2) }
                }
            } else {
                for stream in selection.streams {
                    for event in try log.readStream(stream) where event.position <= head.position && selection.contains(occurredAt: event.event.occurredAt) {
                        positions.append(event.position)
                    }
                }
                positions.sort()
            }
            proof = try log.prove(size: head.position, positions: positions, streams: selection.streams)
            if !selection.streams.isEmpty {
                let streams = selection.streams.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                header.streams = streams
                header.streamProofs = try streams.map { stream in
                    guard let map = proof.streams[stream] else {
                        throw EventLogError(.invalidArgument, "no stream \(stream) in the ledger's first \(head.position) records")
                    }
                    return ExportedStreamProof(
                        streamId: stream, count: map.entry.count, history: map.entry.history.hexString,
                        mapIndex: map.index, mapProof: Data(map.path.joined()).base64EncodedString())
                }
            }
            header.from = selection.from
            header.to = selection.to
            try emitHeader()
            func emitSelected(_ view: RecordView, previous: [UInt8]) throws {
                var line = ExportedEvent(view, previousHash: previous)
                line.proof = Data(proof.inclusion[view.position]!.joined()).base64EncodedString()
                try emit(line.jsonLine)
                written += 1
            }
            if !selection.streams.isEmpty {
                // A ticket's events are spread over the ledger: each with the record before it.
                for position in positions {
                    var previous = ChainHead.empty.hash
                    try log.forEachRecord(from: max(1, position - 1), limit: position == 1 ? 1 : 2) { view in
                        if view.position == position { try emitSelected(view, previous: previous) }
                        previous = Array(view.hashBytes)
                    }
                }
            } else if let first = positions.first, let last = positions.last {
                // One sequential read from the record before the first selected to the last.
                let selected = Set(positions)
                var previous = ChainHead.empty.hash
                let start = max(1, first - 1)
                try log.forEachRecord(from: start, limit: Int(last - start + 1)) { view in
                    if selected.contains(view.position) { try emitSelected(view, previous: previous) }
                    previous = Array(view.hashBytes)
                }
            }
            guard written == positions.count else {
                throw EventLogError(.corruptRecord, "the ledger at '\(log.location)' lost records of the selection while it was exported")
            }
        }
        let checkpoint = proof.checkpoint(
            origin: origin ?? signer?.name ?? log.name, time: time,
            extensions: ["export " + Data(digest.finalize()).base64EncodedString()])
        let note = try signer?.sign(checkpoint.body) ?? checkpoint.body
        try write(String(decoding: try encoder.encode(ExportTrailer(checkpoint: note)), as: UTF8.self) + "\n")
        return written
    }
}
