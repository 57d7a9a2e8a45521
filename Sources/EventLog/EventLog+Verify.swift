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
    /// the event id an index entry gets wrong.
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
            }
        }
        progress?(checked)
        return VerificationReport(
            isValid: failure == nil, eventsChecked: checked, firstBadPosition: failure?.0, problem: failure?.1, head: computed)
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
