internal import CLMDB

extension EventLog {
    /// Checks the `streams` and `ids` databases against the records, in one read
    /// transaction: every entry points at a record with that stream and version
    /// (or that id), and there are as many entries as records, so every record is
    /// in its stream once at its version and findable by its id.
    ///
    /// - Returns: the first mismatch, naming the stream or the id; nil when they agree.
    public func checkIndexes() throws -> IndexMismatch? {
        // Three sequential passes first (records, streams, ids), comparing what the
        // records say with what the indexes hold as sums of keyed hashes; only when
        // they differ, the entry-by-entry check below, which names the mismatch.
        if (try? indexesMatchRecords()) == true { return nil }
        return try findIndexMismatch()
            ?? IndexMismatch(index: .streams, position: nil, problem: "the indexes do not hold the records' streams, versions and ids")
    }

    /// Whether the `streams` and `ids` entries are exactly the records' (stream,
    /// version, position) and (id, position), in one read transaction, without a
    /// lookup per entry. The hashes are SipHash keyed anew in every process, so an
    /// edit cannot be made to keep the sums.
    func indexesMatchRecords() throws -> Bool {
        func hash(_ key: UnsafeRawBufferPointer, _ version: UInt64, _ position: UInt64) -> UInt64 {
            var hasher = Hasher()
            hasher.combine(bytes: key)
            hasher.combine(version)
            hasher.combine(position)
            return UInt64(bitPattern: Int64(hasher.finalize()))
        }
        return try environment.read { (txn) throws -> Bool in
            var records: (count: UInt64, streams: UInt64, ids: UInt64) = (0, 0, 0)
            try txn.withCursor(environment.events) { (cursor) throws in
                var entry = try cursor.get(.first)
                while let (key, value) = entry {
                    let position = try UInt64(bigEndianBytes: key)
                    let record = try RecordView(validating: value, position: position)
                    records.count += 1
                    records.streams &+= hash(record.streamIDBytes, record.streamVersion, position)
                    records.ids &+= record.id.withKeyBytes { hash($0, 0, position) }
                    entry = try cursor.get(.next)
                }
            }
            var streams: (count: UInt64, sum: UInt64) = (0, 0)
            try txn.withCursor(environment.streams) { (cursor) throws in
                var previous: [UInt8] = []
                var version: UInt64 = 0
                var entry = try cursor.get(.first)
                while let (key, value) = entry {
                    if !key.elementsEqual(previous) {
                        previous = Array(key)
                        version = 0
                    }
                    version += 1
                    streams.count += 1
                    streams.sum &+= hash(key, version, try UInt64(bigEndianBytes: value))
                    entry = try cursor.get(.next)
                }
            }
            var ids: (count: UInt64, sum: UInt64) = (0, 0)
            try txn.withCursor(environment.ids) { (cursor) throws in
                var entry = try cursor.get(.first)
                while let (key, value) = entry {
                    ids.count += 1
                    ids.sum &+= hash(key, 0, try UInt64(bigEndianBytes: value))
                    entry = try cursor.get(.next)
                }
            }
            return streams.count == records.count && ids.count == records.count && streams.sum == records.streams && ids.sum == records.ids
        }
    }

    /// Entry by entry: the first index entry that does not agree with its record.
    func findIndexMismatch() throws -> IndexMismatch? {
        try environment.read { (txn) throws -> IndexMismatch? in
            let records = try txn.withCursor(environment.events) { (cursor) throws in
                try cursor.get(.last).map { try UInt64(bigEndianBytes: $0.key) } ?? 0
            }
            func record<T>(at position: UInt64, _ body: (RecordView) throws -> T) throws -> T? {
                try position.bigEndianBytes.withUnsafeBytes { (key) throws in
                    try txn.get(environment.events, key: key) { (bytes) throws in try body(try RecordView(validating: bytes, position: position)) }
                }
            }
            /// Walks one index (key -> 8-byte position): the first entry whose record is
            /// not the one `entry` describes, or a count other than the records'.
            func walk(
                _ index: IndexMismatch.Index, _ dbi: MDB_dbi,
                _ entry: (UnsafeRawBufferPointer) -> (label: String, matches: (RecordView) -> Bool, holds: (RecordView) -> String)
            ) throws -> IndexMismatch? {
                var entries: UInt64 = 0
                let problem = try txn.withCursor(dbi) { (cursor) throws -> IndexMismatch? in
                    var next = try cursor.get(.first)
                    while let (key, value) = next {
                        entries += 1
                        let (label, matches, holds) = entry(key)
                        guard value.count == 8 else {
                            return IndexMismatch(index: index, position: nil, problem: "the \(index) index holds a \(value.count)-byte position for \(label)")
                        }
                        let position = try UInt64(bigEndianBytes: value)
                        // One lookup: nil, no record; .some(nil), the right one; else what it holds.
                        switch try record(at: position, { matches($0) ? nil : holds($0) }) {
                        case nil:
                            return IndexMismatch(index: index, position: position, problem: "the \(index) index puts \(label) at position \(position), which holds no record")
                        case let found??:
                            return IndexMismatch(index: index, position: position, problem: "the \(index) index puts \(label) at position \(position), which holds \(found)")
                        case .some(nil):
                            next = try cursor.get(.next)
                        }
                    }
                    return nil
                }
                if let problem { return problem }
                guard entries == records else {
                    return IndexMismatch(index: index, position: nil, problem: "the \(index) index has \(entries) entries for \(records) records")
                }
                return nil
            }
            // streams: stream id -> its positions in version order.
            var previous: [UInt8] = []
            var version: UInt64 = 0
            let streams = try walk(.streams, environment.streams) { key in
                if !key.elementsEqual(previous) {
                    previous = Array(key)
                    version = 0
                }
                version += 1
                let expected = version
                return (
                    "stream '\(String(decoding: key, as: UTF8.self))' version \(expected)",
                    { $0.streamIDBytes.elementsEqual(key) && $0.streamVersion == expected },
                    { "stream '\($0.streamID)' version \($0.streamVersion)" })
            }
            if let streams { return streams }
            // ids: event id -> position.
            return try walk(.ids, environment.ids) { key in
                (
                    "event id \(EventID(bytes: key).map(\.description) ?? Array(key).hexString)",
                    { $0.id.withKeyBytes { $0.elementsEqual(key) } },
                    { "event id \($0.id)" })
            }
        }
    }
}
