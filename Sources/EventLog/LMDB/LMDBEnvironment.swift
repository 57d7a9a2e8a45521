internal import CLMDB
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one LMDB environment of a ledger, with its named databases.
///
/// Owns the `MDB_env` handle: opened in `init`, closed exactly once by `close()`
/// (also when `init` fails half-way). Transactions run inside closures that
/// commit on return and abort on throw; none outlives its closure.
final class LMDBEnvironment: @unchecked Sendable {
    // Safety: an MDB_env is safe to use from many threads. It is opened with
    // MDB_NOTLS, so read transactions are not bound to threads; the write
    // transaction begins and ends inside one call. `lock` keeps every transaction
    // out while the map is resized or the environment is closed, and `isClosed`
    // is only read and written under that lock.
    private let env: OpaquePointer
    let path: String
    let isReadOnly: Bool
    let maximumMapSize: Int
    /// LMDB's page size for this environment (fixed when the file was made).
    private let pageSize: Int
    let logger: Logger
    private let lock = ReadWriteLock()
    private var isClosed = false
    private let registryKey: String
    /// A descriptor of `data.mdb` whose `flock` every write transaction holds:
    /// an operating-system lock of our own beside LMDB's, so that a removed or
    /// replaced `lock.mdb` cannot let two processes write at once. -1 read-only.
    private let writerLock: Int32

    let events: MDB_dbi
    let streams: MDB_dbi
    let ids: MDB_dbi
    let meta: MDB_dbi
    /// The proof index (``ProofIndex``): tree nodes by level and index, and
    /// each position's stream version and history. Nil only in a ledger opened
    /// read-only that was written before the index existed.
    let tree: MDB_dbi?
    let histories: MDB_dbi?
    /// Projection snapshots by key (``ProjectionSnapshot``), beside the log.
    /// Nil only in a ledger opened read-only that was written before 0.5.
    let snapshots: MDB_dbi?

    /// Ledgers open in this process: LMDB's locks are per process, so a second
    /// handle on the same files would break them.
    private static let openLedgers = Mutex<Set<String>>([])

    init(path: String, configuration: EventLogConfiguration, logger: Logger) throws {
        self.path = path
        self.isReadOnly = configuration.access == .readOnly
        self.maximumMapSize = configuration.maximumMapSize
        self.logger = logger

        if !isReadOnly, configuration.createIfMissing {
            try Self.makeDirectory(path)
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw EventLogError(.storage, "no ledger at '\(path)': \(String(cString: strerror(errno)))", lmdbReturnCode: errno, lmdbMessage: String(cString: strerror(errno)))
        }
        let key = "\(info.st_dev):\(info.st_ino)"
        let inserted = Self.openLedgers.withLock { $0.insert(key).inserted }
        guard inserted else {
            throw EventLogError(.alreadyOpen, "the ledger at '\(path)' is already open in this process; share that EventLog instead of opening it again")
        }
        registryKey = key

        do {
            try Self.checkDataFile(path)
            env = try Self.openEnvironment(path: path, configuration: configuration, logger: logger)
        } catch {
            _ = Self.openLedgers.withLock { $0.remove(key) }
            throw error
        }

        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        pageSize = Int(stat.ms_psize)
        do {
            (events, streams, ids, meta, tree, histories, snapshots) = try Self.openDatabases(env: env, path: path, readOnly: isReadOnly)
        } catch {
            mdb_env_close(env)
            _ = Self.openLedgers.withLock { $0.remove(key) }
            throw error
        }
        if isReadOnly {
            writerLock = -1
        } else {
            writerLock = open(path + "/data.mdb", O_RDONLY | O_CLOEXEC)
            if writerLock < 0 {
                let code = errno
                mdb_env_close(env)
                _ = Self.openLedgers.withLock { $0.remove(key) }
                throw EventLogError(.storage, "cannot open '\(path)/data.mdb' for the writers' lock", lmdbReturnCode: code, lmdbMessage: String(cString: strerror(code)))
            }
        }
    }

    deinit {
        close()
        // Closed here, not in close(): a write racing with close() then finds the
        // environment closed, never a descriptor number reused by another file.
        if writerLock >= 0 { Glibc.close(writerLock) }
    }

    private static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                let code = errno
                throw EventLogError(.storage, "cannot create the ledger folder '\(prefix)'", lmdbReturnCode: code, lmdbMessage: String(cString: strerror(code)))
            }
        }
    }

    private static func openEnvironment(path: String, configuration: EventLogConfiguration, logger: Logger) throws -> OpaquePointer {
        var flags = UInt32(MDB_NOTLS)
        if configuration.access == .readOnly { flags |= UInt32(MDB_RDONLY) }
        if configuration.durability == .buffered { flags |= UInt32(MDB_NOSYNC) }
        do {
            return try openEnvironment(path: path, flags: flags, configuration: configuration)
        } catch let error as EventLogError where configuration.access == .readOnly && (error.lmdbReturnCode == EACCES || error.lmdbReturnCode == EROFS || error.lmdbReturnCode == EPERM) {
            // A read-only copy whose lock file cannot be created or written:
            // read it without LMDB's lock file (nothing may write it meanwhile).
            logger.debug("opening ledger without its lock file", metadata: ["path": "\(path)", "reason": "\(error)"])
            return try openEnvironment(path: path, flags: flags | UInt32(MDB_NOLOCK), configuration: configuration)
        }
    }

    /// Checks `data.mdb` against its own meta pages before LMDB maps it: a file
    /// cut short would be read past its end (a bus error, not an error), an empty
    /// or foreign one would be misread.
    static func checkDataFile(_ path: String) throws {
        let file = path + "/data.mdb"
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }  // none yet (a new ledger), or LMDB reports why
        defer { Glibc.close(fd) }
        func damaged(_ why: String) -> EventLogError {
            EventLogError(.corruptRecord, "the ledger's data file '\(file)' is damaged: \(why)")
        }
        func size() -> Int64? {
            var info = stat()
            return fstat(fd, &info) == 0 ? Int64(info.st_size) : nil
        }
        // A meta page: a 16-byte page header, then magic, version, address, map
        // size, two 48-byte database records (the first's pad holds the page
        // size), the last page number and the transaction id.
        func meta(at offset: Int64) -> (pageSize: Int64, lastPage: Int64, txnid: UInt64)? {
            var page = [UInt8](repeating: 0, count: 160)
            guard pread(fd, &page, page.count, off_t(offset)) == page.count else { return nil }
            func load<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T { page.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) } }
            guard load(16, UInt32.self) == 0xBEEF_C0DE else { return nil }
            return (Int64(load(40, UInt32.self)), Int64(load(136, UInt64.self)), load(144, UInt64.self))
        }
        // The meta pages first, the size after: a writer writes its pages before the
        // meta page that names them, so a live ledger's size is never behind the
        // meta read before it. (Checked twice, in case a writer commits between.)
        for attempt in 0..<2 {
            guard let first = meta(at: 0) else {
                guard let size = size(), size > 0 else { throw damaged("it is empty (0 bytes)") }
                throw damaged("its first page is not an LMDB meta page (\(size) bytes)")
            }
            guard [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].contains(first.pageSize) else {
                throw damaged("its first meta page names a page size of \(first.pageSize) bytes")
            }
            let second = meta(at: first.pageSize)
            // LMDB uses the meta page with the larger transaction id.
            let newest = second.map { $0.txnid > first.txnid ? $0 : first } ?? first
            let needed = (newest.lastPage + 1) * newest.pageSize
            guard let size = size() else { return }
            if size >= needed { return }
            if attempt == 1 {
                throw damaged("it has \(size) bytes, but its last transaction (\(newest.txnid)) uses \(needed); it was cut short")
            }
        }
    }

    private static func openEnvironment(path: String, flags: UInt32, configuration: EventLogConfiguration) throws -> OpaquePointer {
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "cannot create an LMDB environment for '\(path)'")
        guard let env = handle else { throw EventLogError(.storage, "mdb_env_create returned no handle") }
        // LMDB's own consistency checks abort the process; a damaged file is then
        // said to be so, and the process ends with status 1 instead of a signal.
        _ = mdb_env_set_assert(env, lmdbAssertion)
        do {
            try check(mdb_env_set_maxdbs(env, 16), "cannot set the number of databases of '\(path)'")
            try check(mdb_env_set_maxreaders(env, configuration.maximumReaders), "cannot set the readers of '\(path)'")
            try check(mdb_env_set_mapsize(env, max(configuration.initialMapSize, 64 << 10)), "cannot set the map size of '\(path)'")
            try check(mdb_env_open(env, path, flags, 0o644), "cannot open the ledger at '\(path)'")
            return env
        } catch {
            mdb_env_close(env)
            throw error
        }
    }

    private static let formatKey = Array("format".utf8)
    static let headKey = Array("head".utf8)
    static let ledgerFormat: UInt32 = 1

    private static func openDatabases(env: OpaquePointer, path: String, readOnly: Bool) throws -> (MDB_dbi, MDB_dbi, MDB_dbi, MDB_dbi, MDB_dbi?, MDB_dbi?, MDB_dbi?) {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        // Another process grew the map between our open and this transaction: take its size and begin again.
        var attempts = 0
        while rc == MDB_MAP_RESIZED, attempts < 100 {
            try check(mdb_env_set_mapsize(env, 0), "cannot adopt the map size of '\(path)' grown by another process")
            rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            attempts += 1
        }
        try check(rc, "cannot begin a transaction on '\(path)'")
        let create = readOnly ? 0 : UInt32(MDB_CREATE)
        func open(_ name: String, _ flags: UInt32) throws -> MDB_dbi {
            var dbi: MDB_dbi = 0
            let rc = mdb_dbi_open(txn, name, flags | create, &dbi)
            if rc == MDB_NOTFOUND {
                throw EventLogError(.incompatibleFormat, "'\(path)' is not a TicketLedger ledger (no '\(name)' database)")
            }
            try check(rc, "cannot open the '\(name)' database of '\(path)'")
            return dbi
        }
        do {
            let events = try open("events", 0)
            let streams = try open("streams", UInt32(MDB_DUPSORT | MDB_DUPFIXED))
            let ids = try open("ids", 0)
            let meta = try open("meta", 0)
            // Added in 0.3: a ledger written before has none until opened for writing.
            func openIndex(_ name: String) throws -> MDB_dbi? {
                do { return try open(name, 0) } catch let error as EventLogError where readOnly && error.code == .incompatibleFormat { return nil }
            }
            let tree = try openIndex("tree")
            let histories = try openIndex("histories")
            // Added in 0.5, likewise.
            let snapshots = try openIndex("snapshots")
            let stored: UInt32? = try Txn(handle: txn!).get(meta, key: formatKey) { $0.count == 4 ? $0.loadUnaligned(as: UInt32.self).littleEndian : 0 }
            switch stored {
            case nil where !readOnly:
                var format = ledgerFormat.littleEndian
                try withUnsafeBytes(of: &format) { (value) throws in
                    try Txn(handle: txn!).put(meta, key: formatKey, value: value)
                }
            case nil, ledgerFormat?:
                break
            case let other?:
                throw EventLogError(.incompatibleFormat, "the ledger at '\(path)' has format \(other); this library reads format \(ledgerFormat)")
            }
            try check(mdb_txn_commit(txn), "cannot commit the set-up of '\(path)'")
            return (events, streams, ids, meta, tree, histories, snapshots)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    /// Closes the environment once; later transactions fail with `.closed`.
    /// A ledger opened for writing is synced first; a sync that fails (the
    /// commits of a buffered ledger since its last sync may be lost if the
    /// machine stops now) is logged at error level, since closing cannot throw.
    func close() {
        let key: String? = lock.withExclusive {
            guard !isClosed else { return nil }
            isClosed = true
            if !isReadOnly {
                let rc = LMDBFaultInjection.failure(.sync, path: path) ?? mdb_env_sync(env, 1)
                if rc != 0 {
                    let error = diagnosed(Self.error(rc, "cannot sync the ledger at '\(path)' while closing it; buffered commits since the last sync may not be on disk"))
                    logger.error("sync on close failed", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
            mdb_env_close(env)
            return registryKey
        }
        if let key { _ = Self.openLedgers.withLock { $0.remove(key) } }
    }

    /// Flushes buffered commits to disk.
    func sync() throws {
        lock.lockShared()
        defer { lock.unlock() }
        try ensureOpen()
        let rc = LMDBFaultInjection.failure(.sync, path: path) ?? mdb_env_sync(env, 1)
        if rc != 0 { throw diagnosed(Self.error(rc, "cannot sync the ledger at '\(path)'")) }
    }

    /// The map size and the bytes used up to the last page, in bytes (0 once closed).
    var usage: (mapSize: Int, used: Int) {
        lock.lockShared()
        defer { lock.unlock() }
        guard !isClosed else { return (0, 0) }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return (info.me_mapsize, (info.me_last_pgno + 1) * pageSize)
    }

    /// The current map size in bytes.
    var mapSize: Int { usage.mapSize }

    private func ensureOpen() throws {
        if isClosed { throw EventLogError(.closed, "the ledger at '\(path)' is closed") }
    }

    /// Begins a transaction with the shared lock held (the caller unlocks after
    /// ending it), adopting a map another process grew.
    ///
    /// A read transaction is begun again when it may have read a meta page that
    /// a commit two transactions on was overwriting (``isBehindTwoCommits(_:)``),
    /// so that a later read transaction never sees fewer records than an earlier one.
    private func begin(readOnly: Bool) throws -> OpaquePointer {
        var retryUntil: ContinuousClock.Instant?
        while true {
            lock.lockShared()
            if isClosed {
                lock.unlock()
                throw EventLogError(.closed, "the ledger at '\(path)' is closed")
            }
            var handle: OpaquePointer?
            let injected = readOnly ? nil : LMDBFaultInjection.failure(.begin, path: path)
            let rc = injected ?? mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &handle)
            if rc == MDB_MAP_RESIZED {
                lock.unlock()
                try adoptMapSize()
                continue
            }
            guard rc == 0, let handle else {
                lock.unlock()
                throw Self.error(rc, "cannot begin a \(readOnly ? "read" : "write") transaction on '\(path)'")
            }
            if readOnly, isBehindTwoCommits(handle) {
                // Retried for at most a second, timed from the first retry (no clock read otherwise).
                let deadline = retryUntil ?? ContinuousClock.now + .seconds(1)
                retryUntil = deadline
                if ContinuousClock.now < deadline {
                    mdb_txn_abort(handle)
                    lock.unlock()
                    continue
                }
            }
            return handle
        }
    }

    /// Whether the newest meta page is two or more transactions past the read
    /// transaction `handle`.
    ///
    /// LMDB 0.9 begins a read transaction by reading the last committed
    /// transaction's id from the lock file, then that transaction's meta page
    /// (one of two, used in turn). A reader delayed between the two reads, while
    /// two commits land, reads the page the second commit is writing: a view of
    /// that commit before LMDB publishes it. A read transaction begun a moment
    /// later then sees the published, older state: one record fewer than the
    /// first (measured: 21 times in 159 million pairs of reads under four
    /// appending processes on two loaded cores). Two commits landing between
    /// this transaction's begin and this check is the only other cause, and then
    /// beginning again costs nothing but the retry.
    private func isBehindTwoCommits(_ handle: OpaquePointer) -> Bool {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_last_txnid >= mdb_txn_id(handle) + 2
    }

    /// Runs `body` in a read transaction.
    func read<T>(_ body: (Txn) throws -> T) throws -> T {
        let handle = try begin(readOnly: true)
        defer {
            mdb_txn_abort(handle)
            lock.unlock()
        }
        return try body(Txn(handle: handle))
    }

    /// Runs `body` in the write transaction and commits. When the map is full,
    /// aborts, grows the map and runs `body` again, so `body` must compute from
    /// what it reads in the transaction only.
    func write<T>(_ body: (Txn) throws -> T) throws -> T {
        guard !isReadOnly else { throw EventLogError(.readOnly, "the ledger at '\(path)' is open read-only") }
        try lockWriters()
        defer { unlockWriters() }
        while true {
            let handle = try begin(readOnly: false)
            // LMDB numbers a write transaction from its lock file; when that file was
            // removed or replaced while another process wrote, the number is behind the
            // newest meta page and the transaction would write over a committed one.
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            guard mdb_txn_id(handle) == info.me_last_txnid + 1 else {
                mdb_txn_abort(handle)
                lock.unlock()
                throw EventLogError(
                    .storage,
                    "the lock file of the ledger at '\(path)' (lock.mdb) was removed or replaced while another process was writing; nothing was written: close every process that has the ledger open, then open it again")
            }
            let value: T
            do {
                value = try body(Txn(handle: handle))
            } catch {
                mdb_txn_abort(handle)
                lock.unlock()
                if (error as? EventLogError)?.lmdbReturnCode == MDB_MAP_FULL {
                    try grow()
                    continue
                }
                throw (error as? EventLogError).map(diagnosed) ?? error
            }
            let rc: Int32
            if let injected = LMDBFaultInjection.failure(.commit, path: path) {
                mdb_txn_abort(handle)
                rc = injected
            } else {
                rc = mdb_txn_commit(handle)  // frees the transaction whatever it returns
            }
            lock.unlock()
            if rc == 0 { return value }
            if rc == MDB_MAP_FULL {
                try grow()
                continue
            }
            throw diagnosed(Self.error(rc, "cannot commit to the ledger at '\(path)'"))
        }
    }

    /// Takes the writers' lock, waiting for another process's write transaction.
    private func lockWriters() throws {
        while flock(writerLock, LOCK_EX) != 0 {
            let code = errno
            guard code == EINTR else {
                throw EventLogError(.storage, "cannot lock '\(path)/data.mdb' for writing", lmdbReturnCode: code, lmdbMessage: String(cString: strerror(code)))
            }
        }
    }

    private func unlockWriters() {
        _ = flock(writerLock, LOCK_UN)
    }

    /// Another process grew the map: take its size.
    private func adoptMapSize() throws {
        try lock.withExclusive { () throws in
            try ensureOpen()
            try Self.check(mdb_env_set_mapsize(env, 0), "cannot adopt the map size of '\(path)' grown by another process")
        }
        logger.debug("adopted a map grown by another process", metadata: ["path": "\(path)"])
    }

    /// Doubles the map (up to the maximum), with no transaction of this process live.
    private func grow() throws {
        let newSize: Int = try lock.withExclusive { () throws in
            try ensureOpen()
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            let current = info.me_mapsize
            guard current < maximumMapSize else {
                throw EventLogError(.storageFull, "the ledger at '\(path)' needs more than its maximum map size of \(maximumMapSize) bytes; nothing of the failed append was written", lmdbReturnCode: MDB_MAP_FULL, lmdbMessage: String(cString: mdb_strerror(MDB_MAP_FULL)))
            }
            let next = min(maximumMapSize, current <= 1 << 30 ? current * 2 : current + (1 << 30))
            try Self.check(mdb_env_set_mapsize(env, next), "cannot grow the map of '\(path)' to \(next) bytes")
            return next
        }
        logger.debug("ledger map grown", metadata: ["path": "\(path)", "bytes": "\(newSize)"])
    }

    static func check(_ rc: Int32, _ message: @autoclosure () -> String) throws {
        if rc != 0 { throw error(rc, message()) }
    }

    static func error(_ rc: Int32, _ message: String) -> EventLogError {
        let text = String(cString: mdb_strerror(rc))
        guard rc != ENOSPC, rc != EDQUOT else {
            return EventLogError(.storageFull, message + ": no space left on the device (or the quota is used up)", lmdbReturnCode: rc, lmdbMessage: text)
        }
        return EventLogError(.storage, message, lmdbReturnCode: rc, lmdbMessage: text)
    }

    /// `error` as the caller should see it: LMDB reports a short write (what a
    /// device that fills up during a commit gives) as `EIO`; with less than a
    /// megabyte left on the ledger's device, that is a full disk.
    func diagnosed(_ error: EventLogError) -> EventLogError {
        guard error.lmdbReturnCode == EIO else { return error }
        var info = statvfs()
        guard statvfs(path, &info) == 0, UInt64(info.f_bavail) * UInt64(info.f_frsize) < 1 << 20 else { return error }
        var full = error
        full.code = .storageFull
        full.message += ": no space left on the device (a short write)"
        return full
    }
}

extension LMDBEnvironment {
    /// The chain head stored in `meta`, or the empty head.
    func readHead(_ txn: Txn) throws -> ChainHead {
        try txn.get(meta, key: LMDBEnvironment.headKey) { (bytes) throws -> ChainHead in
            guard bytes.count == 8 + RecordFormat.hashSize else {
                throw EventLogError(.corruptRecord, "the chain head of the ledger at '\(path)' has \(bytes.count) bytes instead of 40")
            }
            return ChainHead(
                position: UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)),
                hash: Array(bytes[8...]))
        } ?? .empty
    }

    /// How many records the proof index covers: the last position in `histories`.
    func proofIndexSize(_ txn: Txn) throws -> UInt64 {
        guard let histories else { return 0 }
        return try txn.withCursor(histories) { (cursor) throws in
            try cursor.get(.last).map { try UInt64(bigEndianBytes: $0.key) } ?? 0
        }
    }

    /// A stored tree node (``ProofIndex/Node``).
    func treeNode(level: Int, index: UInt64, txn: Txn) throws -> MerkleTree.Hash? {
        guard let tree else { return nil }
        return try txn.get(tree, key: [UInt8(level)] + index.bigEndianBytes) { (bytes) throws -> MerkleTree.Hash in
            guard bytes.count == 32 else {
                throw EventLogError(.corruptRecord, "the tree node at level \(level), index \(index) of '\(path)' has \(bytes.count) bytes instead of 32")
            }
            return Array(bytes)
        }
    }

    /// The proof index entry of a position.
    func history(at position: UInt64, txn: Txn) throws -> ProofIndex.History? {
        guard let histories else { return nil }
        return try txn.get(histories, key: position.bigEndianBytes) { try ProofIndex.History(position: position, value: $0) }
    }

    /// The root of the records in `range` (leaves), read in `txn`.
    func recordsRoot(_ range: Range<UInt64>, txn: Txn) throws -> MerkleTree.Hash {
        var builder = MerkleTree.Builder()
        try txn.withCursor(events) { (cursor) throws in
            var entry = try (range.lowerBound + 1).bigEndianBytes.withUnsafeBytes { (raw) throws in try cursor.get(.setRange, key: raw) }
            while let (key, value) = entry, builder.size < UInt64(range.count) {
                let position = try UInt64(bigEndianBytes: key)
                guard position == range.lowerBound + builder.size + 1 else { break }
                builder.append(leafHash: MerkleTree.leafHash(value))
                entry = try cursor.get(.next)
            }
        }
        guard builder.size == UInt64(range.count) else {
            throw EventLogError(.corruptRecord, "the ledger at '\(path)' has no record \(range.lowerBound + builder.size + 1)", position: range.lowerBound + builder.size + 1)
        }
        return builder.root
    }

    /// The tree of the first `size` records, from the stored nodes and the last records, in `txn`.
    func storedTree(size: UInt64, txn: Txn) throws -> MerkleTree.Builder {
        try ProofIndex.tree(
            size: size, location: path, node: { try treeNode(level: $0, index: $1, txn: txn) },
            records: { try recordsRoot($0, txn: txn) })
    }

    /// The position of a stream's last record before `position`, or nil when it has none before.
    func streamPosition(_ stream: [UInt8], before position: UInt64, txn: Txn) throws -> UInt64? {
        try txn.withCursor(streams) { (cursor) throws -> UInt64? in
            let bound = position.bigEndianBytes
            let found = try stream.withUnsafeBytes { (key) throws in
                try bound.withUnsafeBytes { (value) throws in try cursor.get(.getBothRange, key: key, value: value) }
            }
            let entry: (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
            if found != nil {
                entry = try cursor.get(.prevDup)
            } else if try stream.withUnsafeBytes({ (key) throws in try cursor.get(.set, key: key) }) != nil {
                entry = try cursor.get(.lastDup)
            } else {
                entry = nil
            }
            return try entry.map { try UInt64(bigEndianBytes: $0.value) }
        }
    }

    /// A stream's history after its last record before `position`, in `txn`.
    func history(of stream: String, before position: UInt64, txn: Txn) throws -> MerkleTree.Hash {
        guard let last = try streamPosition(Array(stream.utf8), before: position, txn: txn), let entry = try history(at: last, txn: txn) else {
            throw EventLogError(.corruptRecord, "the proof index of '\(path)' has no history for stream '\(stream)' before position \(position)", position: position)
        }
        return entry.history
    }

    /// Adds `record` to `update` and writes what it gathers. Call it before the
    /// record is filed in `streams`.
    func index(_ record: RecordView, in update: inout ProofIndex.Update, txn: Txn) throws {
        try update.add(record) { try history(of: $0, before: record.position, txn: txn) }
        try store(&update, txn: txn)
    }

    /// Writes what `update` has gathered (its nodes and histories) and empties them.
    func store(_ update: inout ProofIndex.Update, txn: Txn) throws {
        guard let tree, let histories else { throw EventLogError(.readOnly, "the ledger at '\(path)' is open read-only") }
        for entry in update.histories {
            // 8 bytes of version, 32 of history, without an array per entry.
            try withUnsafeTemporaryAllocation(byteCount: 40, alignment: 8) { (value) throws in
                value.storeBytes(of: entry.version.bigEndian, toByteOffset: 0, as: UInt64.self)
                entry.history.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: value[8...]).copyMemory(from: $0) }
                try withUnsafeBytes(of: entry.position.bigEndian) { (key) throws in
                    try txn.put(histories, key: key, value: UnsafeRawBufferPointer(value), flags: MDB_APPEND)
                }
            }
        }
        for node in update.nodes {
            try node.hash.withUnsafeBytes { (value) throws in try txn.put(tree, key: node.key, value: value) }
        }
        update.histories.removeAll(keepingCapacity: true)
        update.nodes.removeAll(keepingCapacity: true)
    }

    /// A stream's version: the number of positions under its key in `streams`.
    func streamVersion(_ stream: String, txn: Txn) throws -> UInt64 {
        let key = Array(stream.utf8)
        return try txn.withCursor(streams) { (cursor) throws -> UInt64 in
            let found = try key.withUnsafeBytes { (raw) throws in try cursor.get(.set, key: raw) }
            return found == nil ? 0 : try cursor.duplicateCount()
        }
    }
}

/// A live transaction. Only valid inside the closure it was passed to.
struct Txn {
    let handle: OpaquePointer

    /// Reads `key` and passes the value's bytes (in place) to `body`, or returns nil.
    func get<T>(_ dbi: MDB_dbi, key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try key.withUnsafeBytes { (keyBytes) throws -> T? in
            try get(dbi, key: keyBytes, body)
        }
    }

    func get<T>(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBEnvironment.check(rc, "cannot read from the ledger")
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    func put(_ dbi: MDB_dbi, key: [UInt8], value: UnsafeRawBufferPointer, flags: Int32 = 0) throws {
        try key.withUnsafeBytes { (keyBytes) throws in
            try put(dbi, key: keyBytes, value: value, flags: flags)
        }
    }

    func put(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: Int32 = 0) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = LMDBFaultInjection.failure(.put, path: LMDBFaultInjection.path(of: handle)) ?? mdb_put(handle, dbi, &k, &v, UInt32(flags))
        try LMDBEnvironment.check(rc, "cannot write to the ledger at '\(LMDBFaultInjection.path(of: handle))'")
    }

    /// Stores a value of `count` bytes under `key`, written in place by `fill`
    /// (`MDB_RESERVE`): a large value is not copied once more to be put.
    func put(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        let rc = LMDBFaultInjection.failure(.put, path: LMDBFaultInjection.path(of: handle)) ?? mdb_put(handle, dbi, &k, &v, UInt32(MDB_RESERVE))
        try LMDBEnvironment.check(rc, "cannot write to the ledger at '\(LMDBFaultInjection.path(of: handle))'")
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Runs `body` in a child transaction: committed into this one when `body`
    /// returns a success, aborted (undoing what it wrote) on a failure or a throw.
    func nested<T, F: Error>(_ body: (Txn) throws -> Result<T, F>) throws -> Result<T, F> {
        var child: OpaquePointer?
        try LMDBEnvironment.check(mdb_txn_begin(mdb_txn_env(handle), handle, 0, &child), "cannot begin a nested transaction")
        let result: Result<T, F>
        do {
            result = try body(Txn(handle: child!))
        } catch {
            mdb_txn_abort(child)
            throw error
        }
        switch result {
        case .success:
            try LMDBEnvironment.check(mdb_txn_commit(child), "cannot commit a nested transaction")
        case .failure:
            mdb_txn_abort(child)
        }
        return result
    }

    /// Runs `body` with a cursor on `dbi`, closed afterwards.
    func withCursor<T>(_ dbi: MDB_dbi, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try LMDBEnvironment.check(mdb_cursor_open(handle, dbi, &cursor), "cannot open a cursor on the ledger")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor!))
    }
}

/// An LMDB cursor, valid only inside `Txn.withCursor`'s closure.
struct Cursor {
    let handle: OpaquePointer

    enum Op {
        case first, last, next, prev, set, setRange, firstDup, lastDup, nextDup, prevDup, nextNoDuplicate, getBothRange

        var raw: MDB_cursor_op {
            switch self {
            case .first: MDB_FIRST
            case .last: MDB_LAST
            case .next: MDB_NEXT
            case .prev: MDB_PREV
            case .set: MDB_SET_KEY
            case .setRange: MDB_SET_RANGE
            case .firstDup: MDB_FIRST_DUP
            case .lastDup: MDB_LAST_DUP
            case .nextDup: MDB_NEXT_DUP
            case .prevDup: MDB_PREV_DUP
            case .nextNoDuplicate: MDB_NEXT_NODUP
            case .getBothRange: MDB_GET_BOTH_RANGE
            }
        }
    }

    /// Moves the cursor; returns the key and value in place, or nil at the end.
    func get(_ op: Op, key: UnsafeRawBufferPointer? = nil, value: UnsafeRawBufferPointer? = nil) throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val(mv_size: value?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: value?.baseAddress))
        let rc = mdb_cursor_get(handle, &k, &v, op.raw)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBEnvironment.check(rc, "cannot move a cursor in the ledger")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size), UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The number of duplicates at the cursor's key.
    func duplicateCount() throws -> UInt64 {
        var count = 0
        try LMDBEnvironment.check(mdb_cursor_count(handle, &count), "cannot count a stream's events")
        return UInt64(count)
    }
}

extension UInt64 {
    /// The 8-byte big-endian key of a position (so that LMDB's byte order is numeric order).
    var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: bigEndian) { Array($0) }
    }

    /// A position read back from a key or a value: 8 bytes, or the file is damaged.
    init(bigEndianBytes bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == 8 else {
            throw EventLogError(.corruptRecord, "the ledger's file holds a position of \(bytes.count) bytes instead of 8: it is damaged")
        }
        self = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }
}

/// Called by LMDB when one of its consistency checks fails on a damaged file,
/// just before it would abort: says so on standard error and ends the process
/// with status 1 (there is no way back into the caller from here).
private func lmdbAssertion(_ env: OpaquePointer?, _ message: UnsafePointer<CChar>?) {
    var path: UnsafePointer<CChar>?
    if let env { _ = mdb_env_get_path(env, &path) }
    let text = "TicketLedger: the ledger at '\(path.map { String(cString: $0) } ?? "?")' is damaged: LMDB found \(message.map { String(cString: $0) } ?? "an inconsistency"); stopping without reading or writing more\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    _exit(1)
}
