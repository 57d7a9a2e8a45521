public import EventLog
import Dispatch
public import Foundation
import Synchronization
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

extension Projection where Self: Codable {
    /// The state as sorted-key JSON: a `Codable` projection needs nothing more
    /// for its snapshots, as long as equal states encode equally (write sets
    /// and dictionaries with keys other than strings and integers as sorted
    /// lists: JSON writes those in hash order, which differs from run to run).
    public func snapshotData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self)
    }

    /// The state the JSON of ``snapshotData()`` holds.
    public init(snapshotData: Data) throws {
        self = try JSONDecoder().decode(Self.self, from: snapshotData)
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

    /// Set in an encoder's `userInfo` to leave the tracked and departed tickets
    /// out of the JSON (a snapshot writes them apart).
    static let ticketsApart = CodingUserInfoKey(rawValue: "TicketLedger.ticketsApart")!

    /// Tracked tickets per JSON part of a snapshot: the parts are read in parallel.
    static let ticketsPerPart = 2_048

    /// The whole state as bytes for a snapshot; equal states give equal bytes.
    ///
    /// The layout, integers big-endian:
    /// - the magic `TLDP`;
    /// - the length of a JSON part (8 bytes) and that part: the state as
    ///   ``DeskProjector``'s `Codable` form writes it (sorted keys), without
    ///   its tickets;
    /// - the number of parts of tracked tickets (8 bytes), then each part's
    ///   length (8 bytes) and the part: a JSON object of up to 2,048 tickets by
    ///   number, in number order across the parts;
    /// - the number of closed tickets that left memory (8 bytes), then each, in
    ///   number order: its number's length (2 bytes) and UTF-8, its status and
    ///   line (1 byte each), whether it was resolved and reopened (1 byte of
    ///   flags), its registration time (8 bytes, microseconds) and its
    ///   assignment and escalation counts (4 bytes each): 21 bytes besides the number.
    ///
    /// At 10 M events the state holds 1.1 million closed tickets and 12,000
    /// tracked ones: in one JSON document they made a snapshot slower to read
    /// than a replay; apart, the parts are read on every core at once.
    public func snapshotData() throws -> Data {
        let encoder = Self.encoder
        encoder.userInfo[Self.ticketsApart] = true
        let json = try encoder.encode(self)
        var bytes: [UInt8] = Array("TLDP".utf8)
        bytes.reserveCapacity(32 + json.count + tickets.count * 1_600 + departed.count * 36)
        bytes += UInt64(json.count).bigEndianBytes
        bytes += json
        // Each ticket once, in number order: no look-up per ticket.
        let tracked = tickets.sorted { $0.key < $1.key }
        let parts = stride(from: 0, to: tracked.count, by: Self.ticketsPerPart).map { tracked[$0..<min($0 + Self.ticketsPerPart, tracked.count)] }
        bytes += UInt64(parts.count).bigEndianBytes
        for part in parts {
            let encoded = try Self.encoder.encode(Dictionary(uniqueKeysWithValues: part.map { ($0.key, $0.value) }))
            bytes += UInt64(encoded.count).bigEndianBytes
            bytes += encoded
        }
        bytes += UInt64(departed.count).bigEndianBytes
        // The numbers sorted, not the entries: a third of the memory.
        for number in departed.keys.sorted() {
            guard let ticket = departed[number] else { continue }
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

    /// The state a snapshot's bytes (``snapshotData()``) hold. Its parts are
    /// read in parallel (CPU work only: nothing waits).
    ///
    /// - Throws: `DeskError` when the bytes are not such a snapshot (cut, damaged, another format).
    public init(snapshotData: Data) throws {
        // Where each part lies, then each part read on a core of its own: the
        // JSON of the state, each part of tickets, the departed tickets.
        let (rest, parts, departed, departedCount) = try snapshotData.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            var reader = SnapshotReader(raw)
            guard try reader.bytes(4).elementsEqual("TLDP".utf8) else { throw DeskError(.invalidArgument, "not a desk projector snapshot") }
            let rest = try reader.range(Int(clamping: try reader.integer(UInt64.self)))
            let partCount = try reader.integer(UInt64.self)
            guard partCount <= UInt64(raw.count / 8) else { throw DeskError(.invalidArgument, "a desk projector snapshot names \(partCount) parts, more than its bytes can hold") }
            var parts: [Range<Int>] = []
            for _ in 0..<partCount { parts.append(try reader.range(Int(clamping: try reader.integer(UInt64.self)))) }
            let departedCount = try reader.integer(UInt64.self)
            guard departedCount <= UInt64(raw.count / 21) else {
                throw DeskError(.invalidArgument, "a desk projector snapshot names \(departedCount) departed tickets, more than its bytes can hold")
            }
            return (rest, parts, try reader.range(reader.remaining), Int(departedCount))
        }
        let base = snapshotData.startIndex
        @Sendable func slice(_ range: Range<Int>) -> Data { snapshotData[(base + range.lowerBound)..<(base + range.upperBound)] }
        let results = Mutex<[Int: Result<Decoded, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: parts.count + 2) { index in
            let result = Result<Decoded, any Error> {
                switch index {
                case 0: .state(try JSONDecoder().decode(DeskProjector.self, from: slice(rest)))
                case 1: .departed(try slice(departed).withUnsafeBytes { try Self.departed($0, count: departedCount) })
                default: .tickets(try JSONDecoder().decode([String: Tracked].self, from: slice(parts[index - 2])))
                }
            }
            results.withLock { $0[index] = result }
        }
        let read = results.withLock { $0 }
        guard case .state(var projector) = try read[0]?.get(), case .departed(let departedTickets) = try read[1]?.get() else {
            throw DeskError(.invalidArgument, "a desk projector snapshot was misread")
        }
        projector.departed = departedTickets
        projector.tickets.reserveCapacity(parts.count * Self.ticketsPerPart)
        for index in parts.indices {
            guard case .tickets(let part) = try read[index + 2]?.get() else { throw DeskError(.invalidArgument, "a desk projector snapshot was misread") }
            projector.tickets.merge(part) { first, _ in first }
        }
        self = projector
    }

    /// One part of a snapshot, read.
    private enum Decoded: Sendable {
        case state(DeskProjector)
        case tickets([String: Tracked])
        case departed([String: Departed])
    }

    /// The departed tickets of a snapshot (``snapshotData()``'s last part).
    private static func departed(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> [String: Departed] {
        var reader = SnapshotReader(bytes)
        var departed: [String: Departed] = [:]
        departed.reserveCapacity(count)
        for _ in 0..<count {
            let number = String(decoding: try reader.bytes(Int(try reader.integer(UInt16.self))), as: UTF8.self)
            guard let status = TicketStatus(rawValue: try reader.integer(UInt8.self)), let line = SupportLine(rawValue: try reader.integer(UInt8.self)) else {
                throw DeskError(.invalidArgument, "a desk projector snapshot holds an unknown status or line for ticket \(number)")
            }
            let flags = try reader.integer(UInt8.self)
            let registeredAt = Timestamp(microseconds: Int64(bitPattern: try reader.integer(UInt64.self)))
            let assignments = Int32(bitPattern: try reader.integer(UInt32.self))
            let escalations = Int32(bitPattern: try reader.integer(UInt32.self))
            departed[number] = Departed(
                status: status, registeredAt: registeredAt, line: line, wasResolved: flags & 1 != 0, wasReopened: flags & 2 != 0,
                assignmentCount: assignments, escalationCount: escalations)
        }
        guard reader.isAtEnd else { throw DeskError(.invalidArgument, "a desk projector snapshot has bytes after its last departed ticket") }
        return departed
    }
}

/// Reads a snapshot's binary parts in order, refusing to read past the end.
struct SnapshotReader {
    private let raw: UnsafeRawBufferPointer
    private var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var isAtEnd: Bool { offset == raw.count }

    /// The bytes not read yet.
    var remaining: Int { raw.count - offset }

    /// Where the next `count` bytes lie (and passes over them).
    mutating func range(_ count: Int) throws -> Range<Int> {
        let start = offset
        _ = try bytes(count)
        return start..<offset
    }

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
