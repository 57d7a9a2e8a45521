/// A projection's saved state, kept in the ledger's storage beside the log (an
/// LMDB database, a PostgreSQL table) and never in it: a snapshot is not an
/// event, is replaced by the next one under the same key, and is not covered by
/// the chain, the proofs or `verify`. A reader uses it only while the ledger
/// still holds the record it names at ``position`` with ``recordHash``, so a
/// snapshot of another ledger, or of records since replaced, is never resumed.
public struct ProjectionSnapshot: Sendable, Hashable {
    /// What it is the state of: the projection's name, version and configuration digest.
    public var key: String
    /// The position of the last record the state includes.
    public var position: UInt64
    /// That record's hash.
    public var recordHash: [UInt8]
    /// The projection's encoded state.
    public var state: [UInt8]

    /// A snapshot from its parts.
    public init(key: String, position: UInt64, recordHash: [UInt8], state: [UInt8]) {
        self.key = key
        self.position = position
        self.recordHash = recordHash
        self.state = state
    }

    /// The bytes a key-value backend stores: the position big-endian, the record hash, the state.
    package var storedValue: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: storedValueCount) { buffer, count in
            writeStoredValue(into: UnsafeMutableRawBufferPointer(buffer))
            count = storedValueCount
        }
    }

    /// The length of ``storedValue``.
    package var storedValueCount: Int { 8 + recordHash.count + state.count }

    /// Writes ``storedValue`` into `destination`, ``storedValueCount`` bytes
    /// (a backend's reserved space: no copy of the state on the way).
    package func writeStoredValue(into destination: UnsafeMutableRawBufferPointer) {
        destination.copyBytes(from: position.bigEndianBytes)
        UnsafeMutableRawBufferPointer(rebasing: destination[8...]).copyBytes(from: recordHash)
        UnsafeMutableRawBufferPointer(rebasing: destination[(8 + recordHash.count)...]).copyBytes(from: state)
    }

    /// A snapshot read back from ``storedValue``.
    package init(key: String, storedValue value: UnsafeRawBufferPointer) throws {
        let head = 8 + RecordFormat.hashSize
        guard value.count >= head else {
            throw EventLogError(.corruptRecord, "the projection snapshot '\(key)' has \(value.count) bytes, fewer than the \(head) of its position and record hash")
        }
        self.init(
            key: key, position: try UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: value[0..<8])),
            recordHash: Array(value[8..<head]), state: Array(value[head...]))
    }
}
