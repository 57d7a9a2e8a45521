/// What ``EventStore/copy(to:batchSize:progress:)`` did.
public struct CopyResult: Sendable, Hashable {
    /// Records copied now (0 when the destination was up to date).
    public var copied: UInt64
    /// The destination's chain head afterwards: the source's, byte for byte.
    public var head: ChainHead
}

extension EventStore {
    /// Copies this ledger's records that `destination` lacks into it, byte for
    /// byte (same positions, times, hashes), checking the chain as it goes: an
    /// LMDB ledger into PostgreSQL, or PostgreSQL into a local LMDB file for
    /// fast analysis. Afterwards both have the same chain head.
    ///
    /// The destination must be empty or hold a prefix of this ledger (an earlier
    /// copy); then only the rest is copied, so an interrupted copy is finished by
    /// running it again. Each batch lands whole or not at all.
    ///
    /// - Throws: ``EventLogError``: ``EventLogError/Code/corruptRecord`` naming
    ///   the position where this ledger's chain breaks (nothing from there on is
    ///   copied), ``EventLogError/Code/invalidArgument`` when the destination is
    ///   not a prefix of this ledger.
    @discardableResult
    public func copy(to destination: any EventStore, batchSize: Int = 4096, progress: ((UInt64) -> Void)? = nil) throws -> CopyResult {
        let start = try destination.head()
        let end = try lastPosition()
        if start.position > 0 {
            guard start.position <= end, let shared = try event(at: start.position), shared.hash == start.hash else {
                throw EventLogError(
                    .invalidArgument,
                    "'\(destination.location)' is not a copy of '\(location)': its chain head \(start) is not a record of the source (which ends at position \(end))",
                    position: start.position)
            }
        }
        var head = start
        var batch: [[UInt8]] = []
        var copied: UInt64 = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            _ = try destination.appendCopies(batch)
            copied += UInt64(batch.count)
            batch.removeAll(keepingCapacity: true)
            progress?(head.position)
        }
        try forEachRecord(from: start.position + 1, limit: Int(end - start.position)) { record in
            try RecordFormat.checkChain(record, follows: head, in: location)
            head = ChainHead(position: record.position, hash: Array(record.hashBytes))
            batch.append(Array(record.bytes))
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        return CopyResult(copied: copied, head: try destination.head())
    }
}

extension RecordFormat {
    /// Checks that `record` is the next record after `head`: its position, and
    /// its hash recomputed from its bytes and the head's hash.
    package static func checkChain(_ record: RecordView, follows head: ChainHead, in location: String) throws {
        guard record.position == head.position + 1 else {
            throw EventLogError(
                .corruptRecord, "the record after position \(head.position) of '\(location)' holds position \(record.position)",
                position: head.position + 1)
        }
        guard chainHash(previous: head.hash, body: record.hashedBytes).elementsEqual(record.hashBytes) else {
            throw EventLogError(
                .corruptRecord, "record \(record.position) of '\(location)' does not match its hash and the previous record's",
                position: record.position)
        }
    }
}
