public import EventLog
public import Foundation

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

    /// The state a snapshot's bytes (``snapshotData()``) hold.
    public init(snapshotData: Data) throws {
        self = try JSONDecoder().decode(DeskProjector.self, from: snapshotData)
    }
}
