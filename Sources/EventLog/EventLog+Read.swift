internal import CLMDB

/// The direction of a stream read.
public enum ReadDirection: Sendable, Hashable {
    /// Oldest first.
    case forward
    /// Newest first.
    case backward
}

extension EventLog {
    /// The chain head: the last position (0 when empty) and its hash.
    public func head() throws -> ChainHead {
        try environment.read { (txn) throws in try environment.readHead(txn) }
    }

    /// The last position, 0 for an empty log.
    public func lastPosition() throws -> UInt64 {
        try environment.read { (txn) throws in
            try txn.withCursor(environment.events) { (cursor) throws in
                try cursor.get(.last).map { try UInt64(bigEndianBytes: $0.key) } ?? 0
            }
        }
    }

    /// The stored chain head (`meta/head`) and the last key of `events`, in one read transaction.
    public func storedHead() throws -> StoredHead {
        try environment.read { (txn) throws in
            let head = try environment.readHead(txn)
            let last = try txn.withCursor(environment.events) { (cursor) throws in
                try cursor.get(.last).map { try UInt64(bigEndianBytes: $0.key) } ?? 0
            }
            return StoredHead(head: head, lastPosition: last)
        }
    }

    /// A stream's current version (its last event's version), 0 when it has no events.
    public func streamVersion(_ stream: String) throws -> UInt64 {
        try environment.read { (txn) throws in try environment.streamVersion(stream, txn: txn) }
    }

    /// Passes every record from `position` on (at most `limit`) to `body`, in
    /// place, without copying: the fastest way through the log.
    ///
    /// Records are read in read transactions of a few thousand records each, so a
    /// long scan neither holds old pages nor stops the map from growing. The view
    /// is valid only during the call of `body`.
    ///
    /// - Returns: the number of records passed.
    @discardableResult
    public func forEachRecord(
        from position: UInt64, limit: Int, _ body: (RecordView) throws -> Void
    ) throws -> Int {
        let chunk = 4096
        var next = max(position, 1)
        var passed = 0
        while passed < limit {
            var bodyError: (any Error)?
            let count = try environment.read { (txn) throws -> Int in
                try txn.withCursor(environment.events) { (cursor) throws -> Int in
                    var seen = 0
                    let key = next.bigEndianBytes
                    var entry = try key.withUnsafeBytes { (raw) throws in try cursor.get(.setRange, key: raw) }
                    while let (key, value) = entry, seen < chunk, passed + seen < limit {
                        let at = try UInt64(bigEndianBytes: key)
                        let view = try RecordView(validating: value, position: at)
                        do {
                            try body(view)
                        } catch {
                            bodyError = error
                            return seen
                        }
                        seen += 1
                        next = at + 1
                        entry = try cursor.get(.next)
                    }
                    return seen
                }
            }
            if let bodyError { throw bodyError }
            passed += count
            if count < chunk { break }
        }
        return passed
    }

    /// Passes every stream's id and version to `body`, in the streams' byte order.
    ///
    /// - Returns: the number of streams.
    @discardableResult
    public func forEachStream(_ body: (String, UInt64) throws -> Void) throws -> Int {
        var streams: [(String, UInt64)] = []
        var after: [UInt8]?
        var count = 0
        repeat {
            // A few thousand streams per read transaction, so a long walk holds no old pages.
            streams.removeAll(keepingCapacity: true)
            try environment.read { (txn) throws in
                try txn.withCursor(environment.streams) { (cursor) throws in
                    var entry: (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
                    if let after {
                        entry = try after.withUnsafeBytes { (raw) throws in try cursor.get(.setRange, key: raw) }
                        if let found = entry, found.key.elementsEqual(after) { entry = try cursor.get(.nextNoDuplicate) }
                    } else {
                        entry = try cursor.get(.first)
                    }
                    while let (key, _) = entry, streams.count < 4096 {
                        streams.append((String(decoding: key, as: UTF8.self), try cursor.duplicateCount()))
                        entry = try cursor.get(.nextNoDuplicate)
                    }
                }
            }
            for (stream, version) in streams {
                try body(stream, version)
                count += 1
            }
            after = streams.last.map { Array($0.0.utf8) }
        } while streams.count == 4096
        return count
    }

    /// How many records the proof index covers (the last key of `histories`).
    public func proofIndexSize() throws -> UInt64 {
        try environment.read { (txn) throws in try environment.proofIndexSize(txn) }
    }

    /// A stored tree node of the proof index, or nil.
    public func treeNode(level: Int, index: UInt64) throws -> MerkleTree.Hash? {
        try environment.read { (txn) throws in try environment.treeNode(level: level, index: index, txn: txn) }
    }

    /// Passes each stream's entry in the map of the first `size` records, in
    /// byte order: its last position up to `size` from `streams`, its version
    /// and history from `histories`.
    @discardableResult
    public func forEachStreamEntry(size: UInt64, _ body: (StreamEntry) throws -> Void) throws -> Int {
        guard try proofIndexSize() >= size else {
            throw EventLogError(.invalidArgument, "the proof index of '\(path)' does not cover \(size) records; open the ledger for writing once to build it")
        }
        var entries: [StreamEntry] = []
        var after: [UInt8]?
        var count = 0
        var exhausted = false
        repeat {
            // A few thousand streams per read transaction, as forEachStream.
            entries.removeAll(keepingCapacity: true)
            try environment.read { (txn) throws in
                try txn.withCursor(environment.streams) { (cursor) throws in
                    var key: [UInt8]?
                    if let after {
                        var entry = try after.withUnsafeBytes { (raw) throws in try cursor.get(.setRange, key: raw) }
                        if let found = entry, found.key.elementsEqual(after) { entry = try cursor.get(.nextNoDuplicate) }
                        key = entry.map { Array($0.key) }
                    } else {
                        key = try cursor.get(.first).map { Array($0.key) }
                    }
                    var scanned = 0
                    while let stream = key, scanned < 4096 {
                        scanned += 1
                        after = stream
                        // The stream's last position, and (rarely: a map of fewer records than the ledger) the last up to `size`.
                        var last = try cursor.get(.lastDup).map { try UInt64(bigEndianBytes: $0.value) }
                        if let newest = last, newest > size {
                            last = try environment.streamPosition(stream, before: size + 1, txn: txn)
                            _ = try stream.withUnsafeBytes { (raw) throws in try cursor.get(.set, key: raw) }
                        }
                        if let last {
                            guard let entry = try environment.history(at: last, txn: txn) else {
                                throw EventLogError(.corruptRecord, "the proof index of '\(path)' has no entry for position \(last)", position: last)
                            }
                            entries.append(StreamEntry(streamID: String(decoding: stream, as: UTF8.self), count: entry.version, history: entry.history))
                        }
                        key = try cursor.get(.nextNoDuplicate).map { Array($0.key) }
                    }
                    exhausted = key == nil
                }
            }
            for entry in entries {
                try body(entry)
                count += 1
            }
        } while !exhausted
        return count
    }

    /// The event with this id, or nil.
    public func event(id: EventID) throws -> RecordedEvent? {
        try environment.read { (txn) throws -> RecordedEvent? in
            guard let position = try txn.get(environment.ids, key: id.bytes, { try UInt64(bigEndianBytes: $0) }) else { return nil }
            return try record(at: position, txn: txn)
        }
    }

    /// Up to `limit` events of one stream, from version `version` on (forward),
    /// or from `version` down (backward; `.max` means from the newest).
    public func readStream(
        _ stream: String, from version: UInt64, direction: ReadDirection, limit: Int
    ) throws -> [RecordedEvent] {
        let key = Array(stream.utf8)
        return try environment.read { (txn) throws -> [RecordedEvent] in
            let positions = try txn.withCursor(environment.streams) { (cursor) throws -> [UInt64] in
                guard try key.withUnsafeBytes({ (raw) throws in try cursor.get(.set, key: raw) }) != nil else { return [] }
                let count = try cursor.duplicateCount()
                var positions: [UInt64] = []
                switch direction {
                case .forward:
                    guard version <= count else { return [] }
                    var entry = try cursor.get(.firstDup)
                    var current: UInt64 = 1
                    while let (_, value) = entry, positions.count < limit {
                        if current >= version { positions.append(try UInt64(bigEndianBytes: value)) }
                        current += 1
                        entry = try cursor.get(.nextDup)
                    }
                case .backward:
                    guard version >= 1 else { return [] }
                    var entry = try cursor.get(.lastDup)
                    var current = count
                    while let (_, value) = entry, positions.count < limit {
                        if current <= version { positions.append(try UInt64(bigEndianBytes: value)) }
                        current -= 1
                        entry = try cursor.get(.prevDup)
                    }
                }
                return positions
            }
            var events: [RecordedEvent] = []
            for position in positions {
                guard let event = try record(at: position, txn: txn) else {
                    throw EventLogError(.corruptRecord, "stream '\(stream)' points at position \(position), which holds no record", position: position)
                }
                events.append(event)
            }
            return events
        }
    }

    func record(at position: UInt64, txn: Txn) throws -> RecordedEvent? {
        try txn.get(environment.events, key: position.bigEndianBytes) { (bytes) throws in
            try RecordView(validating: bytes, position: position).materialize()
        }
    }
}
