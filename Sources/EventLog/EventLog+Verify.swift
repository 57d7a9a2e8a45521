/// The outcome of ``EventStore/verify(progress:)``.
public struct VerificationReport: Sendable, Hashable {
    /// Whether every record's hash, position and length hold, and the stored head matches.
    public var isValid: Bool
    /// How many records were checked.
    public var eventsChecked: UInt64
    /// The first position that does not match, when invalid (nil for an index
    /// that disagrees without naming a position, such as a missing entry).
    public var firstBadPosition: UInt64?
    /// What is wrong there, when invalid.
    public var problem: String?
    /// The head recomputed from the records (up to the first bad position).
    public var head: ChainHead
}

extension EventStore {
    /// Recomputes the hash chain from position 1 and names the first position that
    /// does not match: a changed byte, a missing or extra record, a wrong position
    /// or length, or a chain head that does not match the last record; then checks
    /// the indexes against the records (``checkIndexes()``), naming the stream or
    /// the event id an index entry gets wrong, and the proof index
    /// (``ProofIndex``): every stored tree node, the tree's root and each
    /// stream's current entry, recomputed from the records.
    ///
    /// It checks the ledger as of one moment: the stored head and the last
    /// position are read together first (``storedHead()``), then the records up to
    /// that position, which appends never change. Events appended meanwhile are
    /// not checked, and never make a valid ledger look invalid.
    ///
    /// - Parameter progress: called now and then with the number of records checked.
    public func verify(progress: ((UInt64) -> Void)? = nil) throws -> VerificationReport {
        let snapshot = try storedHead()
        var previous = ChainHead.empty.hash
        var expected: UInt64 = 1
        var failure: (UInt64?, String)?
        // The proof index, recomputed from the records in the same pass, when it covers them.
        var proof = try proofIndexSize() >= snapshot.lastPosition && snapshot.lastPosition > 0
            ? try LedgerProof.Builder(size: snapshot.lastPosition) : nil
        var treeNodes: [(level: Int, index: UInt64, hash: [UInt8])] = []
        do {
            try forEachRecord(from: 1, limit: Int(clamping: snapshot.lastPosition)) { (record: RecordView) throws in
                // forEachRecord validates lengths and format; a failure there is
                // reported below by position through EventLogError.
                let position = record.position
                if position != expected {
                    failure = (expected, "record \(expected) holds position \(position)")
                    throw VerificationStop()
                }
                let computed = RecordFormat.chainHash(previous: previous, body: record.hashedBytes)
                guard computed.elementsEqual(record.hashBytes) else {
                    failure = (position, "record \(position)'s hash does not match its bytes and the previous hash")
                    throw VerificationStop()
                }
                previous = computed
                // Checked after the scan: reading the index here would begin a read
                // inside forEachRecord's, which must not wait for the map to be resized.
                proof?.add(record) { level, index, hash in
                    if level >= ProofIndex.storedLevel { treeNodes.append((level, index, Array(hash))) }
                }
                expected += 1
                if expected & 0xFFFF == 0 { progress?(expected - 1) }
            }
        } catch let error as EventLogError where error.code == .corruptRecord {
            let position = error.position ?? expected
            failure = (position, error.message)
        } catch is VerificationStop {
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(.storage, "verification of '\(location)' failed: \(error)")
        }
        let checked = expected - 1
        let computed = ChainHead(position: checked, hash: previous)
        if failure == nil {
            // A record present beyond a gap, or a stored head that disagrees.
            if snapshot.lastPosition != checked {
                failure = (checked + 1, "position \(checked + 1) is missing but the log goes on to \(snapshot.lastPosition)")
            } else if snapshot.head != computed {
                failure = (max(checked, 1), "the stored chain head (\(snapshot.head)) does not match the last record (\(computed))")
            } else if let mismatch = try checkIndexes() {
                // The chain holds, but what finds a ticket's events would show another's.
                failure = (mismatch.position, mismatch.problem)
            } else if let problem = try firstStoredNodeMismatch(treeNodes) {
                failure = (nil, problem)
            } else if let proof {
                // The tree's stored nodes match; the root and every stream's entry now.
                let computed = try proof.finish()
                let stored = try prove(size: checked, from: .index)
                if stored.root != computed.root {
                    failure = (nil, "the proof index's tree of \(checked) records does not match the records: checkpoints made from it would not")
                } else if stored.mapSize != computed.mapSize || stored.mapRoot != computed.mapRoot {
                    failure = (nil, "the proof index's stream histories do not match the records (\(stored.mapSize) streams in it, \(computed.mapSize) in the records): a ticket's proof made from it would not verify")
                }
            }
        }
        progress?(checked)
        return VerificationReport(
            isValid: failure == nil, eventsChecked: checked, firstBadPosition: failure?.0, problem: failure?.1, head: computed)
    }
}

extension EventStore {
    /// The first of the tree nodes recomputed from the records that the proof
    /// index does not hold as computed, said as verify reports it.
    fileprivate func firstStoredNodeMismatch(_ nodes: [(level: Int, index: UInt64, hash: [UInt8])]) throws -> String? {
        for (level, index, hash) in nodes {
            let stored = try treeNode(level: level, index: index)
            if let stored, hash.elementsEqual(stored) { continue }
            let records = "\((index << UInt64(level)) + 1)...\((index + 1) << UInt64(level))"
            return "the proof index's tree node of records \(records) \(stored == nil ? "is missing" : "does not match the records"): proofs made from it would not verify"
        }
        return nil
    }
}

/// An index entry that does not agree with the records (``EventStore/checkIndexes()``).
public struct IndexMismatch: Sendable, Hashable, Error {
    /// Which index.
    public enum Index: String, Sendable, Hashable {
        /// Stream id and version to position.
        case streams
        /// Event id to position.
        case ids
    }

    /// The index that disagrees.
    public var index: Index
    /// The position the entry names, when it names one.
    public var position: UInt64?
    /// What is wrong, naming the stream or the event id.
    public var problem: String

    /// A mismatch.
    public init(index: Index, position: UInt64?, problem: String) {
        self.index = index
        self.position = position
        self.problem = problem
    }
}

/// Ends a verification scan at the first bad record.
private struct VerificationStop: Error {}
