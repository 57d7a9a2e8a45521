internal import Crypto

/// The binary record format, version 1, and its hash chain. `docs/FORMAT.md`
/// describes it byte by byte, with test vectors.
///
/// Public so that tools outside the ledger (exports, audits) can encode, decode
/// and check records exactly as the log does.
///
/// Layout (integers little-endian):
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 1 | format version (1) |
/// | 1 | 1 | actor kind |
/// | 2 | 2 | schema version |
/// | 4 | 2 | stream id length S |
/// | 6 | 2 | event type length T |
/// | 8 | 2 | actor id length A |
/// | 10 | 2 | reserved, 0 |
/// | 12 | 4 | payload length P |
/// | 16 | 8 | global position |
/// | 24 | 8 | stream version |
/// | 32 | 8 | occurredAt, µs since the Unix epoch |
/// | 40 | 8 | recordedAt, µs since the Unix epoch |
/// | 48 | 16 | event id |
/// | 64 | 16 | correlation id |
/// | 80 | 16 | causation id |
/// | 96 | S, T, A, P | stream id, event type, actor id, payload |
/// | 96+S+T+A+P | 32 | SHA-256(previous hash ‖ bytes 0 ..< 96+S+T+A+P) |
public enum RecordFormat {
    /// The format version this library writes and reads (the record's first byte).
    public static let formatVersion: UInt8 = 1
    /// The size of the fixed header, before the variable-length fields.
    public static let headerSize = 96
    /// The size of the trailing hash.
    public static let hashSize = 32
    /// The longest stream id, in bytes of UTF-8 (LMDB's key limit leaves room for it).
    public static let maximumStreamIDBytes = 500
    /// The longest event type, in bytes of UTF-8.
    public static let maximumTypeBytes = 255

    /// Appends the record of `event` to `buffer`, chained to `previousHash`, and
    /// returns the new hash (also the record's last 32 bytes).
    public static func encode(
        _ event: ProposedEvent, streamID: String, streamVersion: UInt64, position: UInt64,
        recordedAt: Timestamp, previousHash: [UInt8], into buffer: inout [UInt8]
    ) -> [UInt8] {
        let stream = streamID.utf8
        let type = event.type.utf8
        let actor = event.actor.id.utf8
        let start = buffer.count
        buffer.reserveCapacity(start + headerSize + stream.count + type.count + actor.count + event.payload.count + hashSize)
        buffer.append(formatVersion)
        buffer.append(event.actor.kind.rawValue)
        buffer.appendLittleEndian(event.schemaVersion)
        buffer.appendLittleEndian(UInt16(stream.count))
        buffer.appendLittleEndian(UInt16(type.count))
        buffer.appendLittleEndian(UInt16(actor.count))
        buffer.appendLittleEndian(UInt16(0))
        buffer.appendLittleEndian(UInt32(event.payload.count))
        buffer.appendLittleEndian(position)
        buffer.appendLittleEndian(streamVersion)
        buffer.appendLittleEndian(event.occurredAt.microseconds)
        buffer.appendLittleEndian(recordedAt.microseconds)
        buffer.appendBigEndian(event.id)
        buffer.appendBigEndian(event.correlationID)
        buffer.appendBigEndian(event.causationID)
        buffer.append(contentsOf: stream)
        buffer.append(contentsOf: type)
        buffer.append(contentsOf: actor)
        buffer.append(contentsOf: event.payload)
        let hash = buffer.withUnsafeBytes { raw in
            chainHash(previous: previousHash, body: UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
        buffer.append(contentsOf: hash)
        return hash
    }

    /// `SHA-256(previous ‖ body)`: the hash of a record whose bytes without the
    /// hash are `body`, following the record whose hash is `previous` (32 zero
    /// bytes for position 1).
    public static func chainHash(previous: [UInt8], body: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(bufferPointer: body)
        return Array(hasher.finalize())
    }

    /// Checks the arguments of an event before anything is written.
    static func validate(_ event: ProposedEvent, streamID: String) throws {
        let streamBytes = streamID.utf8.count
        guard streamBytes > 0, streamBytes <= maximumStreamIDBytes else {
            throw EventLogError(.invalidArgument, "stream id '\(streamID.prefix(40))' has \(streamBytes) bytes; it needs 1 to \(maximumStreamIDBytes)")
        }
        let typeBytes = event.type.utf8.count
        guard typeBytes > 0, typeBytes <= maximumTypeBytes else {
            throw EventLogError(.invalidArgument, "event \(event.id) in stream '\(streamID)': type has \(typeBytes) bytes; it needs 1 to \(maximumTypeBytes)")
        }
        guard event.actor.id.utf8.count <= Int(UInt16.max) else {
            throw EventLogError(.invalidArgument, "event \(event.id) in stream '\(streamID)': actor id longer than 65,535 bytes")
        }
        guard event.payload.count <= Int(UInt32.max) else {
            throw EventLogError(.invalidArgument, "event \(event.id) in stream '\(streamID)': payload larger than 4 GiB")
        }
        guard event.id != .zero else {
            throw EventLogError(.invalidArgument, "an event in stream '\(streamID)' has the all-zero id, which the format reserves for 'none'")
        }
    }
}

/// A stored record read in place, without copying.
///
/// Valid only inside the closure that received it: its bytes live in LMDB's map and
/// belong to a read transaction that ends when the closure returns. Keep what you
/// need with ``materialize()`` or by copying fields; never keep ``bytes``.
public struct RecordView {
    /// The record's bytes, hash included.
    public let bytes: UnsafeRawBufferPointer

    /// Checks the lengths and the format version of `bytes` (the record stored at
    /// `position`), or throws ``EventLogError/Code/corruptRecord`` naming it.
    public init(validating bytes: UnsafeRawBufferPointer, position: UInt64) throws {
        guard bytes.count >= RecordFormat.headerSize + RecordFormat.hashSize else {
            throw EventLogError(.corruptRecord, "record at position \(position) has \(bytes.count) bytes, fewer than the \(RecordFormat.headerSize + RecordFormat.hashSize) of an empty record", position: position)
        }
        guard bytes[0] == RecordFormat.formatVersion else {
            throw EventLogError(.corruptRecord, "record at position \(position) has format version \(bytes[0]); this library reads version \(RecordFormat.formatVersion)", position: position)
        }
        self.bytes = bytes
        let expected = RecordFormat.headerSize + streamIDLength + typeLength + actorIDLength + payloadLength + RecordFormat.hashSize
        guard expected == bytes.count else {
            throw EventLogError(.corruptRecord, "record at position \(position) has \(bytes.count) bytes but its length fields add up to \(expected)", position: position)
        }
    }

    private func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    private func loadID(_ offset: Int) -> EventID {
        EventID(
            high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }

    var streamIDLength: Int { Int(load(4, as: UInt16.self)) }
    var typeLength: Int { Int(load(6, as: UInt16.self)) }
    var actorIDLength: Int { Int(load(8, as: UInt16.self)) }
    var payloadLength: Int { Int(load(12, as: UInt32.self)) }

    /// The global position.
    public var position: UInt64 { load(16, as: UInt64.self) }
    /// The version within the stream.
    public var streamVersion: UInt64 { load(24, as: UInt64.self) }
    /// The payload's schema version.
    public var schemaVersion: UInt16 { load(2, as: UInt16.self) }
    /// When it happened in the domain.
    public var occurredAt: Timestamp { Timestamp(microseconds: load(32, as: Int64.self)) }
    /// When it was appended.
    public var recordedAt: Timestamp { Timestamp(microseconds: load(40, as: Int64.self)) }
    /// The event id.
    public var id: EventID { loadID(48) }
    /// The correlation id, or ``EventID/zero``.
    public var correlationID: EventID { loadID(64) }
    /// The causation id, or ``EventID/zero``.
    public var causationID: EventID { loadID(80) }
    /// The actor's kind.
    public var actorKind: ActorRef.Kind { ActorRef.Kind(rawValue: bytes[1]) }

    private var streamIDRange: Range<Int> { RecordFormat.headerSize..<(RecordFormat.headerSize + streamIDLength) }
    private var typeRange: Range<Int> { streamIDRange.upperBound..<(streamIDRange.upperBound + typeLength) }
    private var actorRange: Range<Int> { typeRange.upperBound..<(typeRange.upperBound + actorIDLength) }
    private var payloadRange: Range<Int> { actorRange.upperBound..<(actorRange.upperBound + payloadLength) }

    /// The stream id's UTF-8 bytes, in place.
    public var streamIDBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[streamIDRange]) }
    /// The event type's UTF-8 bytes, in place.
    public var typeBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[typeRange]) }
    /// The payload, in place.
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[payloadRange]) }
    /// The bytes the hash covers (all but the last 32).
    public var hashedBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - RecordFormat.hashSize)]) }
    /// The stored hash, in place.
    public var hashBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - RecordFormat.hashSize)...]) }

    /// The stream id.
    public var streamID: String { String(decoding: streamIDBytes, as: UTF8.self) }
    /// The event type.
    public var type: String { String(decoding: typeBytes, as: UTF8.self) }
    /// The actor.
    public var actor: ActorRef {
        ActorRef(actorKind, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[actorRange]), as: UTF8.self))
    }

    /// A copy that owns its bytes.
    public func materialize() -> RecordedEvent {
        RecordedEvent(
            position: position,
            streamID: streamID,
            streamVersion: streamVersion,
            recordedAt: recordedAt,
            event: ProposedEvent(
                id: id, type: type, schemaVersion: schemaVersion, occurredAt: occurredAt, actor: actor,
                correlationID: correlationID, causationID: causationID, payload: Array(payload)),
            hash: Array(hashBytes))
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendBigEndian(_ id: EventID) {
        Swift.withUnsafeBytes(of: id.high.bigEndian) { append(contentsOf: $0) }
        Swift.withUnsafeBytes(of: id.low.bigEndian) { append(contentsOf: $0) }
    }
}
