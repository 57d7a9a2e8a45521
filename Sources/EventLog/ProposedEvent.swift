/// An event to append: everything of the record that the caller decides.
///
/// The log adds the stream, the stream version, the global position, `recordedAt`
/// and the chain hash when it appends.
public struct ProposedEvent: Hashable, Sendable {
    /// The idempotency key: appending an event whose id is stored returns the
    /// stored position and writes nothing.
    public var id: EventID
    /// The event type, for example `TicketRegistered`; 1 to 255 bytes of UTF-8.
    public var type: String
    /// The version of the payload's schema, for upcasting by readers.
    public var schemaVersion: UInt16
    /// When it happened in the domain (as an imported log records it).
    public var occurredAt: Timestamp
    /// Who caused it.
    public var actor: ActorRef
    /// The id of the conversation or workflow it belongs to, or ``EventID/zero``.
    public var correlationID: EventID
    /// The id of the event or command that caused it, or ``EventID/zero``.
    public var causationID: EventID
    /// The encoded payload; opaque to the log.
    public var payload: [UInt8]

    /// Creates an event to append.
    public init(
        id: EventID = .make(),
        type: String,
        schemaVersion: UInt16 = 1,
        occurredAt: Timestamp,
        actor: ActorRef = .unknown,
        correlationID: EventID = .zero,
        causationID: EventID = .zero,
        payload: [UInt8]
    ) {
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.occurredAt = occurredAt
        self.actor = actor
        self.correlationID = correlationID
        self.causationID = causationID
        self.payload = payload
    }
}

/// An event as stored: the proposed fields plus what the log assigned.
public struct RecordedEvent: Hashable, Sendable {
    /// The global position: gapless from 1, in commit order.
    public var position: UInt64
    /// The stream (for TicketLedger, a ticket or a problem) the event belongs to.
    public var streamID: String
    /// The event's version within its stream: gapless from 1.
    public var streamVersion: UInt64
    /// When the log appended it (wall clock of the appending process).
    public var recordedAt: Timestamp
    /// What the caller proposed.
    public var event: ProposedEvent
    /// `SHA-256(previous hash || record bytes without the hash)`.
    public var hash: [UInt8]

    /// Creates a recorded event.
    public init(position: UInt64, streamID: String, streamVersion: UInt64, recordedAt: Timestamp, event: ProposedEvent, hash: [UInt8]) {
        self.position = position
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.recordedAt = recordedAt
        self.event = event
        self.hash = hash
    }

    /// The event id (the idempotency key).
    public var id: EventID { event.id }
    /// The event type.
    public var type: String { event.type }
    /// The encoded payload.
    public var payload: [UInt8] { event.payload }
}

/// The stream version an append expects, for optimistic concurrency.
public enum ExpectedVersion: Hashable, Sendable {
    /// Append whatever the stream's version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's current version must be exactly this (its last event's version).
    case exactly(UInt64)
}

/// Events for one stream, as part of a multi-stream append.
public struct StreamAppend: Hashable, Sendable {
    /// The stream.
    public var stream: String
    /// Its new events, in order.
    public var events: [ProposedEvent]
    /// The version the stream must have.
    public var expected: ExpectedVersion

    /// Creates a stream append.
    public init(stream: String, events: [ProposedEvent], expected: ExpectedVersion = .any) {
        self.stream = stream
        self.events = events
        self.expected = expected
    }
}

/// What an append did.
public struct AppendResult: Hashable, Sendable {
    /// The global positions of the batch's events, in order.
    public var positions: ClosedRange<UInt64>
    /// The stream versions of the batch's events, in order.
    public var streamVersions: ClosedRange<UInt64>
    /// `true` when every event id was stored already: nothing was written, and the
    /// positions are the original ones.
    public var wasAlreadyStored: Bool

    /// Creates an append result.
    public init(positions: ClosedRange<UInt64>, streamVersions: ClosedRange<UInt64>, wasAlreadyStored: Bool) {
        self.positions = positions
        self.streamVersions = streamVersions
        self.wasAlreadyStored = wasAlreadyStored
    }
}

/// The position and hash of the last record: what a reader needs to check that a
/// copy of the log is complete.
public struct ChainHead: Hashable, Sendable, CustomStringConvertible {
    /// The last position, 0 for an empty log.
    public var position: UInt64
    /// The last record's hash; 32 zero bytes for an empty log.
    public var hash: [UInt8]

    /// Creates a chain head.
    public init(position: UInt64, hash: [UInt8]) {
        self.position = position
        self.hash = hash
    }

    /// The head of an empty log.
    public static let empty = ChainHead(position: 0, hash: [UInt8](repeating: 0, count: 32))

    /// The hash as 64 lowercase hexadecimal digits.
    public var hashHex: String { hash.hexString }

    public var description: String { "\(position):\(hashHex)" }
}

/// The chain head a store keeps and the last position it holds, read from one
/// consistent snapshot (``EventStore/storedHead()``). On an intact ledger the two
/// positions are equal.
public struct StoredHead: Hashable, Sendable {
    /// The chain head the store keeps (LMDB: `meta/head`; PostgreSQL: the last row's hash).
    public var head: ChainHead
    /// The largest position stored, 0 for an empty log.
    public var lastPosition: UInt64

    /// Creates a stored head.
    public init(head: ChainHead, lastPosition: UInt64) {
        self.head = head
        self.lastPosition = lastPosition
    }
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal digits.
    public var hexString: String {
        let bytes = Array(self)
        // Written straight into the string's storage: no intermediate array of digits.
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = hexDigit(byte >> 4)
                buffer[2 * index + 1] = hexDigit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }
}

/// The lowercase hexadecimal digit of a nibble, as an ASCII byte.
@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? 0x30 + nibble : 0x57 + nibble
}
