internal import CLMDB
import Dispatch
import Logging
import Synchronization
import CoreMetrics

/// One append waiting for the writer.
package struct PendingAppend: Sendable {
    /// How the waiting appender is answered.
    package enum Completion: Sendable {
        case waiter(SyncWaiter)
        case continuation(CheckedContinuation<Result<[AppendResult], EventLogError>, Never>)

        package func resume(with result: Result<[AppendResult], EventLogError>) {
            switch self {
            case .waiter(let waiter): waiter.resume(with: result)
            case .continuation(let continuation): continuation.resume(returning: result)
            }
        }
    }

    /// One or more stream appends that land together or not at all.
    package var appends: [StreamAppend]
    /// Who is told the outcome.
    package var completion: Completion
    /// When it was queued (its append's duration is measured from here).
    package let queuedAt = ContinuousClock.now

    package init(appends: [StreamAppend], completion: Completion) {
        self.appends = appends
        self.completion = completion
    }
}

/// The queue of a group-commit writer: appends wait in it while the writer
/// commits, and the writer's next transaction takes all that waited, so
/// concurrent appends share one commit (and one flush to disk).
///
/// The writer runs on a serial dispatch queue, outside Swift's cooperative pool,
/// so async appenders never block its threads.
package final class GroupCommitQueue: Sendable {
    private let pending = Mutex<[PendingAppend]>([])
    private let queue: DispatchQueue
    private let metrics: AppendMetrics

    package init(label: String, metrics: AppendMetrics) {
        queue = DispatchQueue(label: label)
        self.metrics = metrics
    }

    /// Runs `body` on the writer's queue, after everything queued before.
    package func sync<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync(execute: body)
    }

    /// Queues `request`; the next run of the writer's queue commits it with
    /// whatever queued meanwhile, records the group's metrics and answers each append.
    fileprivate func enqueue(_ request: PendingAppend, then commit: @escaping @Sendable ([PendingAppend]) -> [AppendOutcome]) {
        pending.withLock { $0.append(request) }
        queue.async {
            let group = self.pending.withLock { queued -> [PendingAppend] in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            guard !group.isEmpty else { return }
            let outcomes = commit(group)
            self.metrics.record(group, outcomes: outcomes)
            for (request, outcome) in zip(group, outcomes) {
                request.completion.resume(with: outcome)
            }
        }
    }
}

/// A writer that commits queued appends in groups: each backend's writer.
package protocol GroupCommitter: AnyObject, Sendable {
    /// Where appends wait for the next commit.
    var commitQueue: GroupCommitQueue { get }
    /// Commits `group` in one transaction (on the writer's queue) and returns
    /// each append's outcome, in order.
    func commit(_ group: [PendingAppend]) -> [AppendOutcome]
}

/// What one queued append is answered with.
package typealias AppendOutcome = Result<[AppendResult], EventLogError>

extension GroupCommitter {
    /// Queues `request`; it is committed with whatever else queues meanwhile.
    package func submit(_ request: PendingAppend) {
        commitQueue.enqueue(request) { self.commit($0) }
    }

    /// Waits until every queued append has been committed or failed.
    package func flush() {
        commitQueue.sync {}
    }
}

/// The LMDB writer. It holds no reference to its `EventLog`, so the log's
/// lifetime is its users'.
final class GroupWriter: GroupCommitter {
    let commitQueue: GroupCommitQueue
    let environment: LMDBEnvironment
    let notifier: AppendNotifier
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    /// The Merkle tree as of the last commit of this writer, so that the next
    /// transaction continues it without reading stored nodes; used only when
    /// the stored head is still at its size (another process that appended
    /// since moves the head).
    private let tree = Mutex<MerkleTree.Builder?>(nil)
    /// The map's size and use, set after each commit.
    private let mapSize: Gauge
    private let mapUsed: Gauge

    init(environment: LMDBEnvironment, notifier: AppendNotifier, logger: Logger, clock: @escaping @Sendable () -> Timestamp, metrics: (any MetricsFactory)?) {
        let factory = metrics ?? MetricsSystem.factory
        commitQueue = GroupCommitQueue(label: "TicketLedger.EventLog.writer", metrics: AppendMetrics(backend: "lmdb", factory: factory))
        mapSize = Gauge(label: LedgerMetricLabel.mapSize, factory: factory)
        mapUsed = Gauge(label: LedgerMetricLabel.mapUsed, factory: factory)
        self.clock = clock
        self.environment = environment
        self.notifier = notifier
        self.logger = logger
    }
}

/// Blocks a thread until the writer answers.
package final class SyncWaiter: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<[AppendResult], EventLogError>?>(nil)

    package init() {}

    package func resume(with value: Result<[AppendResult], EventLogError>) {
        result.withLock { $0 = value }
        semaphore.signal()
    }

    package func wait() -> Result<[AppendResult], EventLogError> {
        semaphore.wait()
        return result.withLock { $0! }
    }
}

extension GroupWriter {
    /// Commits a group of appends in one write transaction (on the writer's queue).
    func commit(_ group: [PendingAppend]) -> [AppendOutcome] {
        let recordedAt = clock()
        do {
            let (results, committed) = try environment.write { (txn) throws in
                var head = try environment.readHead(txn)
                var update = ProofIndex.Update(tree: try currentTree(head: head, txn: txn))
                let start = head.position
                var buffer: [UInt8] = []
                var results: [Result<[AppendResult], EventLogError>] = []
                results.reserveCapacity(group.count)
                for request in group {
                    if request.appends.count == 1 {
                        results.append(try apply(request.appends[0], txn: txn, head: &head, update: &update, recordedAt: recordedAt, buffer: &buffer).map { [$0] })
                        continue
                    }
                    // Several streams at once: a child transaction, so that a
                    // rejected stream undoes the ones written before it.
                    let before = (head, update.tree)
                    let result = try txn.nested { (child) throws -> Result<[AppendResult], EventLogError> in
                        var done: [AppendResult] = []
                        for append in request.appends {
                            switch try apply(append, txn: child, head: &head, update: &update, recordedAt: recordedAt, buffer: &buffer) {
                            case .success(let result): done.append(result)
                            case .failure(let error): return .failure(error)
                            }
                        }
                        return .success(done)
                    }
                    if case .failure = result {
                        (head, update.tree) = before
                        update.forgetHistories()
                    }
                    results.append(result)
                }
                if head.position != start { try writeHead(head, txn: txn) }
                return (results, (head, update.tree))
            }
            tree.withLock { $0 = committed.1 }
            notifier.publish(committed.0.position)
            let usage = environment.usage
            mapSize.record(usage.mapSize)
            mapUsed.record(usage.used)
            return results
        } catch {
            tree.withLock { $0 = nil }
            let failure = error as? EventLogError ?? EventLogError(.storage, "append to '\(environment.path)' failed: \(error)")
            logger.error("append failed", metadata: ["path": "\(environment.path)", "error": "\(failure)"])
            return group.map { _ in .failure(failure) }
        }
    }

    /// The tree of the records up to `head`, which this transaction continues:
    /// the one of this writer's last commit when nobody wrote since; otherwise
    /// read from the stored nodes, after indexing any records the index lacks
    /// (written by a version before it, or by another process that was stopped).
    private func currentTree(head: ChainHead, txn: Txn) throws -> MerkleTree.Builder {
        if let cached = tree.withLock({ $0 }), cached.size == head.position {
            return cached
        }
        try extendIndex(to: head.position, txn: txn)
        return try environment.storedTree(size: head.position, txn: txn)
    }

    /// Indexes the records after the proof index's last, up to position `last`, in `txn`.
    private func extendIndex(to last: UInt64, txn: Txn) throws {
        let env = environment
        let indexed = try env.proofIndexSize(txn)
        guard indexed < last else { return }
        var update = ProofIndex.Update(tree: try env.storedTree(size: indexed, txn: txn))
        try txn.withCursor(env.events) { (cursor) throws in
            var entry = try (indexed + 1).bigEndianBytes.withUnsafeBytes { (raw) throws in try cursor.get(.setRange, key: raw) }
            while let (key, value) = entry {
                let position = try UInt64(bigEndianBytes: key)
                guard position <= last else { break }
                try env.index(try RecordView(validating: value, position: update.tree.size + 1), in: &update, txn: txn)
                entry = try cursor.get(.next)
            }
        }
        guard update.tree.size == last else {
            throw EventLogError(.corruptRecord, "the ledger at '\(env.path)' has no record \(update.tree.size + 1)", position: update.tree.size + 1)
        }
    }

    /// Gives a ledger written before the proof index its index, in transactions
    /// of 65,536 records, before the first append: once, when it is opened for writing.
    func upgradeIndex() throws {
        let env = environment
        let (indexed, last) = try env.read { (txn) throws in (try env.proofIndexSize(txn), try env.readHead(txn).position) }
        guard indexed < last else { return }
        logger.info("building the proof index", metadata: ["path": "\(env.path)", "records": "\(last - indexed)"])
        try commitQueue.sync {
            while true {
                let done = try env.write { (txn) throws -> Bool in
                    let indexed = try env.proofIndexSize(txn)
                    let last = try env.readHead(txn).position
                    try extendIndex(to: min(last, indexed + 65_536), txn: txn)
                    return indexed + 65_536 >= last
                }
                if done { break }
            }
        }
    }

    /// Stores the chain head in the meta database.
    private func writeHead(_ head: ChainHead, txn: Txn) throws {
        var bytes = withUnsafeBytes(of: head.position.littleEndian) { Array($0) }
        bytes.append(contentsOf: head.hash)
        try bytes.withUnsafeBytes { (raw) throws in
            try txn.put(environment.meta, key: LMDBEnvironment.headKey, value: raw)
        }
    }

    /// Writes one record at its position in the three databases.
    private func put(_ record: RecordView, stream: [UInt8], id: EventID, txn: Txn) throws {
        var positionKey = record.position.bigEndian
        try withUnsafeBytes(of: &positionKey) { (key) throws in
            try txn.put(environment.events, key: key, value: record.bytes, flags: MDB_APPEND)
            try stream.withUnsafeBytes { (stream) throws in
                try txn.put(environment.streams, key: stream, value: key)
            }
            try id.withKeyBytes { (id) throws in
                try txn.put(environment.ids, key: id, value: key, flags: MDB_NOOVERWRITE)
            }
        }
    }

    /// Appends records copied byte for byte, in one transaction on the writer's
    /// queue (after the appends queued before).
    func copy(_ records: [[UInt8]]) throws -> ChainHead {
        let env = environment
        let head = try commitQueue.sync {
            try env.write { (txn) throws -> (ChainHead, MerkleTree.Builder) in
                var head = try env.readHead(txn)
                var update = ProofIndex.Update(tree: try currentTree(head: head, txn: txn))
                for bytes in records {
                    try bytes.withUnsafeBytes { (raw) throws in
                        let record = try RecordView(validating: raw, position: head.position + 1)
                        try RecordFormat.checkChain(record, follows: head, in: env.path)
                        let stream = record.streamID
                        let version = try env.streamVersion(stream, txn: txn)
                        guard record.streamVersion == version + 1 else {
                            throw EventLogError(
                                .wrongExpectedVersion,
                                "the copied record \(record.position) holds version \(record.streamVersion) of stream '\(stream)', which is at version \(version) in '\(env.path)'",
                                actualVersion: version, position: record.position)
                        }
                        let id = record.id
                        if try id.withKeyBytes({ (key) throws in try txn.get(env.ids, key: key) { _ in true } }) != nil {
                            throw EventLogError(
                                .duplicateEventID, "the copied record \(record.position) has event id \(id), which '\(env.path)' stores already",
                                position: record.position)
                        }
                        try env.index(record, in: &update, txn: txn)
                        try put(record, stream: Array(stream.utf8), id: id, txn: txn)
                        head = ChainHead(position: record.position, hash: Array(record.hashBytes))
                    }
                }
                if !records.isEmpty { try writeHead(head, txn: txn) }
                return (head, update.tree)
            }
        }
        tree.withLock { $0 = head.1 }
        notifier.publish(head.0.position)
        return head.0
    }

    /// Checks and writes one request inside the group's transaction. Returns a
    /// failure (having written nothing) for a rejected request; throws only for
    /// storage errors, which abort the whole group.
    private func apply(
        _ request: StreamAppend, txn: Txn, head: inout ChainHead, update: inout ProofIndex.Update, recordedAt: Timestamp, buffer: inout [UInt8]
    ) throws -> Result<AppendResult, EventLogError> {
        let env = environment
        var stored: [(id: EventID, position: UInt64)] = []
        for event in request.events {
            let found = try event.id.withKeyBytes { (key) throws in try txn.get(env.ids, key: key) { try UInt64(bigEndianBytes: $0) } }
            if let position = found {
                stored.append((event.id, position))
            }
        }
        if !stored.isEmpty {
            return try alreadyStored(request, stored: stored, txn: txn)
        }
        let current = try environment.streamVersion(request.stream, txn: txn)
        if let mismatch = request.versionMismatch(current: current) { return .failure(mismatch) }
        let streamKey = Array(request.stream.utf8)
        let firstPosition = head.position + 1
        // A long batch has its index hashed on a second thread meanwhile.
        var pipeline: ProofIndex.Pipeline?
        if request.events.count >= ProofIndex.Pipeline.chunkSize {
            if current > 0, !update.knows(request.stream) {
                update.know(try env.history(of: request.stream, before: firstPosition, txn: txn), of: request.stream)
            }
            pipeline = ProofIndex.Pipeline(update)
        }
        for (offset, event) in request.events.enumerated() {
            let position = head.position + 1
            buffer.removeAll(keepingCapacity: true)
            let hash = RecordFormat.encode(
                event, streamID: request.stream, streamVersion: current + 1 + UInt64(offset), position: position,
                recordedAt: recordedAt, previousHash: head.hash, into: &buffer)
            try buffer.withUnsafeBytes { (bytes) throws in
                let record = try RecordView(validating: bytes, position: position)
                if pipeline != nil {
                    pipeline!.add(record)
                } else {
                    try env.index(record, in: &update, txn: txn)
                }
                try put(record, stream: streamKey, id: event.id, txn: txn)
            }
            head = ChainHead(position: position, hash: hash)
        }
        if let pipeline = pipeline.take() {
            update = try pipeline.finish()
            try env.store(&update, txn: txn)
        }
        let count = UInt64(request.events.count)
        return .success(AppendResult(
            positions: firstPosition...head.position,
            streamVersions: (current + 1)...(current + count),
            wasAlreadyStored: false))
    }

    /// The answer to a batch some of whose ids are stored: the original result
    /// when it is exactly a stored batch of this stream, an error otherwise.
    private func alreadyStored(_ request: StreamAppend, stored: [(id: EventID, position: UInt64)], txn: Txn) throws -> Result<AppendResult, EventLogError> {
        let positions = stored.map(\.position)
        let first = positions[0]
        let description = "\(positions.count) of the \(request.events.count) event ids of an append to stream '\(request.stream)' are stored already (the first, \(stored[0].id), at position \(first))"
        guard positions.count == request.events.count,
            positions.elementsEqual(first..<(first + UInt64(positions.count)))
        else {
            return .failure(EventLogError(.duplicateEventID, description + "; retry the original batch or use new ids", position: first))
        }
        let streamVersion = try txn.get(environment.events, key: first.bigEndianBytes) { (bytes) throws -> UInt64? in
            let view = try RecordView(validating: bytes, position: first)
            return view.streamIDBytes.elementsEqual(request.stream.utf8) ? view.streamVersion : nil
        }
        guard let version = streamVersion ?? nil else {
            return .failure(EventLogError(.duplicateEventID, description + " but in another stream", position: first))
        }
        return .success(AppendResult(
            positions: first...positions[positions.count - 1],
            streamVersions: version...(version + UInt64(positions.count) - 1),
            wasAlreadyStored: true))
    }

}
