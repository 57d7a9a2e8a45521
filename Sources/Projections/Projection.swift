public import EventLog
public import Foundation
import TicketLedger

/// A state built from the ledger's events, one record at a time in log order:
/// the desk's own (``DeskProjector``) or an embedder's.
///
/// ``ProjectionEngine/catchUp(_:_:upTo:progress:)`` feeds any set of
/// projections in one pass over the ledger, each from its own position, and
/// ``SnapshotStore`` keeps each one's state under its ``name``, ``version`` and
/// ``configuration`` (in the ledger, or in files), so that a later run starts
/// from there. A projection must be deterministic: the same records give the
/// same state, and so the same ``snapshotData()``, whether it was built in one
/// pass or resumed from a snapshot.
public protocol Projection: Sendable {
    /// The name its snapshots are kept under: one per kind of projection in a ledger.
    static var name: String { get }
    /// The version of its rules and of its snapshot encoding: bump it whenever
    /// either changes, so that older snapshots are ignored, never misread.
    static var version: Int { get }
    /// What its state depends on besides the records (its options), as a stable
    /// text: a snapshot made with another configuration is ignored.
    var configuration: String { get }
    /// The position of the last record it was given (0 before the first).
    var position: UInt64 { get }
    /// The last position it takes, or `nil` for no limit: the engine gives it
    /// no later record (an as-of report stops there).
    var limit: UInt64? { get }
    /// Whether its snapshots are worth keeping: not when its state is cut at an
    /// as-of moment (such a state is read once and never continued).
    var isSnapshotWorthy: Bool { get }
    /// Applies the next record (read in place: keep only what you copy out of it).
    mutating func apply(_ record: RecordView) throws
    /// The whole state as bytes for a snapshot: equal states give equal bytes.
    func snapshotData() throws -> Data
    /// The state a snapshot's bytes hold.
    init(snapshotData: Data) throws
}

extension Projection {
    /// No limit.
    public var limit: UInt64? { nil }

    /// Worth keeping unless it has a limit.
    public var isSnapshotWorthy: Bool { limit == nil }

    /// The key its snapshots are kept under: name, version and a digest of the configuration.
    public var snapshotKey: String {
        // FNV-1a over the configuration's UTF-8: stable across processes and runs.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in configuration.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return "\(Self.name)-v\(Self.version)-\(String(hash, radix: 16))"
    }
}

extension DeskProjector: Projection {
    /// `desk`.
    public static var name: String { "desk" }

    /// The options, as sorted-key JSON.
    public var configuration: String {
        String(decoding: (try? Self.encoder.encode(options)) ?? Data(), as: UTF8.self)
    }

    /// The as-of position of the options, if any.
    public var limit: UInt64? { options.asOfPosition }

    /// Not with an as-of time or position.
    public var isSnapshotWorthy: Bool { options.asOf == nil && options.asOfPosition == nil }

    /// Set in an encoder's `userInfo` to leave the departed tickets out of the
    /// JSON (a snapshot writes them apart, in binary).
    static let departedApart = CodingUserInfoKey(rawValue: "TicketLedger.departedApart")!

    /// The whole state as bytes for a snapshot; equal states give equal bytes.
    ///
    /// The layout: the magic `TLDP`; the length of a JSON part (8 bytes
    /// big-endian) and that part (the state as ``DeskProjector``'s `Codable`
    /// form writes it, sorted keys, without the closed tickets that left
    /// memory); then their count (8 bytes) and the tickets in number order, 21 bytes each besides the
    /// number: its length (2 bytes) and UTF-8, the status and line (1 byte each),
    /// whether it was resolved and reopened (1 byte of flags), the registration
    /// time (8 bytes, microseconds) and the assignment and escalation counts (4
    /// bytes each), integers big-endian. At 10 M events they are 1.2 million of
    /// the state's entries: in JSON they made a snapshot slower to read than a replay.
    public func snapshotData() throws -> Data {
        let encoder = Self.encoder
        encoder.userInfo[Self.departedApart] = true
        let json = try encoder.encode(self)
        var bytes: [UInt8] = Array("TLDP".utf8)
        bytes.reserveCapacity(12 + json.count + departed.count * 36)
        bytes += UInt64(json.count).bigEndianBytes
        bytes += json
        bytes += UInt64(departed.count).bigEndianBytes
        for number in departed.keys.sorted() {
            let ticket = departed[number]!
            let utf8 = Array(number.utf8)
            bytes += UInt16(clamping: utf8.count).bigEndianBytes
            bytes += utf8.prefix(Int(UInt16.max))
            bytes.append(ticket.status.rawValue)
            bytes.append(ticket.line.rawValue)
            bytes.append((ticket.wasResolved ? 1 : 0) | (ticket.wasReopened ? 2 : 0))
            bytes += UInt64(bitPattern: ticket.registeredAt.microseconds).bigEndianBytes
            bytes += UInt32(bitPattern: ticket.assignmentCount).bigEndianBytes
            bytes += UInt32(bitPattern: ticket.escalationCount).bigEndianBytes
        }
        return Data(bytes)
    }

    /// The state a snapshot's bytes (``snapshotData()``) hold.
    ///
    /// - Throws: ``DeskError`` when the bytes are not such a snapshot (cut, damaged, another format).
    public init(snapshotData: Data) throws {
        self = try snapshotData.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> DeskProjector in
            var reader = SnapshotReader(raw)
            guard try reader.bytes(4).elementsEqual("TLDP".utf8) else { throw DeskError(.invalidArgument, "not a desk projector snapshot") }
            let length = try reader.integer(UInt64.self)
            var projector = try JSONDecoder().decode(DeskProjector.self, from: Data(try reader.bytes(Int(clamping: length))))
            let count = try reader.integer(UInt64.self)
            guard count <= UInt64(raw.count / 21) else { throw DeskError(.invalidArgument, "a desk projector snapshot names \(count) departed tickets, more than its bytes can hold") }
            projector.departed.reserveCapacity(Int(count))
            for _ in 0..<count {
                let number = String(decoding: try reader.bytes(Int(try reader.integer(UInt16.self))), as: UTF8.self)
                guard let status = TicketStatus(rawValue: try reader.integer(UInt8.self)), let line = SupportLine(rawValue: try reader.integer(UInt8.self)) else {
                    throw DeskError(.invalidArgument, "a desk projector snapshot holds an unknown status or line for ticket \(number)")
                }
                let flags = try reader.integer(UInt8.self)
                let registeredAt = Timestamp(microseconds: Int64(bitPattern: try reader.integer(UInt64.self)))
                let assignments = Int32(bitPattern: try reader.integer(UInt32.self))
                let escalations = Int32(bitPattern: try reader.integer(UInt32.self))
                projector.departed[number] = Departed(
                    status: status, registeredAt: registeredAt, line: line, wasResolved: flags & 1 != 0, wasReopened: flags & 2 != 0,
                    assignmentCount: assignments, escalationCount: escalations)
            }
            guard reader.isAtEnd else { throw DeskError(.invalidArgument, "a desk projector snapshot has bytes after its last departed ticket") }
            return projector
        }
    }
}

/// Reads a snapshot's binary parts in order, refusing to read past the end.
struct SnapshotReader {
    private let raw: UnsafeRawBufferPointer
    private var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var isAtEnd: Bool { offset == raw.count }

    mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, raw.count - offset >= count else { throw DeskError(.invalidArgument, "a snapshot ends early, at byte \(offset) of \(raw.count)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        T(bigEndian: try bytes(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }
}

extension FixedWidthInteger {
    /// The integer's bytes, big-endian.
    fileprivate var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }
}
