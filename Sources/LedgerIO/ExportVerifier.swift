import Crypto
import EventLog
import Foundation

/// What ``ExportVerifier/verify(lines:)`` found.
public struct ExportVerification: Sendable, Hashable {
    /// Whether every check held.
    public var isValid: Bool
    /// Events checked.
    public var events: Int
    /// The first line (1 = the header) that failed, when invalid.
    public var firstBadLine: Int?
    /// What is wrong there.
    public var problem: String?
}

/// Checks a JSON Lines export without the ledger: every record's hash, its
/// readable fields against its bytes, the order and continuity of positions,
/// and, for a full export, the last hash against the stated chain head.
public enum ExportVerifier {
    /// Verifies the lines of an export, in order, the header first.
    public static func verify<Lines: Sequence<String>>(lines: Lines) -> ExportVerification {
        var lineNumber = 0
        var header: ExportHeader?
        var lastPosition: UInt64 = 0
        var lastHash: String?
        var events = 0
        let decoder = JSONDecoder()
        func fail(_ why: String) -> ExportVerification {
            ExportVerification(isValid: false, events: events, firstBadLine: lineNumber, problem: why)
        }
        for line in lines {
            lineNumber += 1
            if line.isEmpty { continue }
            guard let data = line.data(using: .utf8) else { return fail("line \(lineNumber) is not UTF-8") }
            if header == nil {
                guard let parsed = try? decoder.decode(ExportHeader.self, from: data), parsed.format == "ticketledger-export" else {
                    return fail("line 1 is not a TicketLedger export header")
                }
                guard parsed.version == 1 else { return fail("export version \(parsed.version) is newer than this verifier (1)") }
                header = parsed
                continue
            }
            guard let event = try? decoder.decode(ExportedEvent.self, from: data) else {
                return fail("line \(lineNumber) is not an exported event")
            }
            guard let record = Data(base64Encoded: event.record), record.count >= RecordFormat.headerSize + RecordFormat.hashSize else {
                return fail("line \(lineNumber): the record is not base64 of a record")
            }
            // The hash: SHA-256(previous hash ‖ record without its hash).
            guard let previous = bytes(hex: event.previousHash), previous.count == 32 else {
                return fail("line \(lineNumber): previousHash is not 64 hexadecimal digits")
            }
            let body = record.prefix(record.count - RecordFormat.hashSize)
            var hasher = SHA256()
            hasher.update(data: previous)
            hasher.update(data: body)
            let computed = Array(hasher.finalize()).hexString
            guard computed == event.hash, record.suffix(RecordFormat.hashSize).hexString == event.hash else {
                return fail("line \(lineNumber) (position \(event.position)): the record's hash does not match its bytes and the previous hash")
            }
            // The readable fields must be what the record bytes say.
            let mismatch: String? = record.withUnsafeBytes { raw -> String? in
                guard let view = try? RecordView(validating: raw, position: event.position) else { return "the record does not decode" }
                let checks: [(String, Bool)] = [
                    ("position", view.position == event.position), ("streamId", view.streamID == event.streamId),
                    ("streamVersion", view.streamVersion == event.streamVersion), ("eventId", view.id.description == event.eventId),
                    ("type", view.type == event.type), ("schemaVersion", view.schemaVersion == event.schemaVersion),
                    ("occurredAt", view.occurredAt == event.occurredAt), ("recordedAt", view.recordedAt == event.recordedAt),
                    ("actorKind", view.actorKind.rawValue == event.actorKind), ("actorId", view.actor.id == event.actorId),
                    ("correlationId", view.correlationID.description == event.correlationId),
                    ("causationId", view.causationID.description == event.causationId),
                    ("payload", Data(view.payload).base64EncodedString() == event.payload),
                ]
                return checks.first { !$0.1 }.map { "\($0.0) differs from the record's bytes" }
            }
            if let mismatch { return fail("line \(lineNumber) (position \(event.position)): \(mismatch)") }
            // Order and continuity.
            guard event.position > lastPosition else {
                return fail("line \(lineNumber): position \(event.position) comes after position \(lastPosition); lines are out of order")
            }
            if event.position == lastPosition + 1, let lastHash, event.previousHash != lastHash {
                return fail("line \(lineNumber) (position \(event.position)): previousHash is not the hash of position \(lastPosition)")
            }
            if header!.full, event.position != lastPosition + 1 {
                return fail("line \(lineNumber): position \(event.position) follows \(lastPosition) in a full export; a line is missing")
            }
            if header!.full, event.position == 1, event.previousHash != String(repeating: "0", count: 64) {
                return fail("line \(lineNumber): position 1 must follow the zero hash")
            }
            lastPosition = event.position
            lastHash = event.hash
            events += 1
        }
        guard let header else { return fail("the export is empty") }
        if header.full {
            guard lastPosition == header.chainHeadPosition, (lastHash ?? String(repeating: "0", count: 64)) == header.chainHeadHash else {
                return ExportVerification(
                    isValid: false, events: events, firstBadLine: lineNumber,
                    problem: "the export ends at position \(lastPosition), but the stated chain head is position \(header.chainHeadPosition) with hash \(header.chainHeadHash); lines are missing at the end")
            }
        }
        return ExportVerification(isValid: true, events: events, firstBadLine: nil, problem: nil)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let value = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            result.append(value)
            index += 2
        }
        return result
    }
}
