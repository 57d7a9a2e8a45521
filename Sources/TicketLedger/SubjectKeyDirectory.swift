public import Crypto
import Foundation

/// Where a ``SubjectKeyDirectory`` keeps its records: small named byte strings,
/// each written durably before the call returns, and removed so that no copy
/// of it stays anywhere in the storage. ``SubjectKeyFolder`` keeps them as files
/// in a folder; the `PostgresSubjectKeys` module as rows of a table that is
/// vacuumed after each removal.
public protocol SubjectKeyStorage: Sendable {
    /// Where the records are, for messages.
    var location: String { get }
    /// Makes the storage (a folder, a table) when it is missing.
    func prepare() throws(DeskError)
    /// The record named `name`, or `nil` when there is none.
    func read(_ name: String) throws(DeskError) -> [UInt8]?
    /// Stores `bytes` as `name` unless a record of that name exists (then `false`).
    func add(_ name: String, _ bytes: [UInt8]) throws(DeskError) -> Bool
    /// Stores `bytes` as `name`, replacing any record of that name.
    func replace(_ name: String, _ bytes: [UInt8]) throws(DeskError)
    /// Removes the records `names` (those there are) together, leaving no copy
    /// of them in the storage: a storage whose erasure is one costly pass (a
    /// table rewrite) makes it once. When it throws, some may be removed.
    func remove(_ names: [String]) throws(DeskError)
}

/// The ``SubjectKeyStore`` of TicketLedger: a subject's key and what links it
/// to a name, kept as records of a ``SubjectKeyStorage`` (a folder by default),
/// so that destroying a key removes its only copy.
///
/// It holds `index` (a random key that turns a name into a record name with
/// HMAC-SHA-256, so that no name is stored), `subjects/TAG` (one record per
/// name: the subject's identifier) and `keys/ID` (one per subject: its key,
/// and the tag of its name). Each record carries a magic word and a checksum:
/// a damaged one is an error naming it, never read as a destroyed key. Several
/// processes may share the storage: the first to make a subject's key wins.
///
/// Keep it apart from the ledger's backups: a restored copy of it brings
/// forgotten keys back, and losing it erases every subject.
public struct SubjectKeyDirectory: SubjectKeyStore {
    /// Where the records are.
    public let storage: any SubjectKeyStorage
    /// The index key's bytes (`SymmetricKey` is not `Sendable`).
    private let indexKey: [UInt8]

    /// The store in the folder `path` (``SubjectKeyFolder``), made (with a new
    /// index key) when `create` is true and there is none.
    ///
    /// - Throws: ``DeskError/Code/notFound`` when there is no store and `create`
    ///   is false; ``DeskError/Code/storage`` when it cannot be read or made.
    public init(path: String, create: Bool = false) throws(DeskError) {
        try self.init(storage: SubjectKeyFolder(path: path), create: create)
    }

    /// The store in `storage`, made (with a new index key) when `create` is true
    /// and there is none.
    ///
    /// - Throws: ``DeskError/Code/notFound`` when there is no store and `create`
    ///   is false; ``DeskError/Code/storage`` when it cannot be read or made.
    public init(storage: any SubjectKeyStorage, create: Bool = false) throws(DeskError) {
        self.storage = storage
        if try storage.read("index") == nil {
            guard create else { throw DeskError(.notFound, "no subject key store at '\(storage.location)' (its index key is missing)") }
            try storage.prepare()
            _ = try storage.add("index", Self.sealed("TLKI", SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        }
        indexKey = try Self.open(try storage.read("index"), "index", magic: "TLKI", length: 32, in: storage)
    }

    public func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) {
        let tag = nameTag(name)
        if let id = try subject(tag: tag), let key = try key(for: id) { return (id, key) }
        var id = SubjectID.random()
        let key = SymmetricKey(size: .bits256)
        // A new identifier until one is free (8 random bytes: a clash is rare, never silent).
        while try !storage.add(Self.keyRecord(id), Self.sealed("TLKK", id.bytes + tag + key.withUnsafeBytes { Array($0) })) {
            id = SubjectID.random()
        }
        if try !storage.add(Self.subjectRecord(tag), Self.sealed("TLKS", id.bytes)) {
            // Another process made this subject meanwhile (or a destroyed subject returns): its key wins if it still has one.
            if let other = try subject(tag: tag), let otherKey = try self.key(for: other) {
                try storage.remove([Self.keyRecord(id)])
                return (other, otherKey)
            }
            try storage.replace(Self.subjectRecord(tag), Self.sealed("TLKS", id.bytes))
        }
        return (id, key)
    }

    public func subject(named name: String) throws(DeskError) -> SubjectID? {
        guard let id = try subject(tag: nameTag(name)), try key(for: id) != nil else { return nil }
        return id
    }

    public func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? {
        let name = Self.keyRecord(id)
        guard let record = try storage.read(name) else { return nil }
        let content = try Self.open(record, name, magic: "TLKK", length: Self.keyRecordLength, in: storage)
        guard Array(content.prefix(SubjectID.size)) == id.bytes else {
            throw DeskError(.storage, "the subject key record '\(name)' in '\(storage.location)' holds another subject's key")
        }
        return SymmetricKey(data: content.suffix(32))
    }

    public func destroyKey(of id: SubjectID) throws(DeskError) -> Bool {
        let name = Self.keyRecord(id)
        guard let record = try storage.read(name) else { return false }
        let content = try Self.open(record, name, magic: "TLKK", length: Self.keyRecordLength, in: storage)
        let tag = Array(content.dropFirst(SubjectID.size).prefix(16))
        // The name's record, if it is still this subject's, with the key.
        let linked = try subject(tag: tag) == id
        try storage.remove(linked ? [Self.subjectRecord(tag), name] : [name])
        return true
    }

    // MARK: Records

    private func nameTag(_ name: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(name.utf8), using: SymmetricKey(data: indexKey)).prefix(16))
    }

    /// A key record's body: the subject, the name's tag, the key.
    private static let keyRecordLength = SubjectID.size + 16 + 32

    private static func subjectRecord(_ tag: [UInt8]) -> String { "subjects/" + tag.hexadecimal }
    private static func keyRecord(_ id: SubjectID) -> String { "keys/" + id.description }

    private func subject(tag: [UInt8]) throws(DeskError) -> SubjectID? {
        let name = Self.subjectRecord(tag)
        guard let record = try storage.read(name) else { return nil }
        return SubjectID(bytes: try Self.open(record, name, magic: "TLKS", length: SubjectID.size, in: storage))
    }

    /// `magic` ‖ `body` ‖ the first 8 bytes of SHA-256 of both.
    private static func sealed(_ magic: String, _ body: [UInt8]) -> [UInt8] {
        let content = Array(magic.utf8) + body
        return content + SHA256.hash(data: content).prefix(8)
    }

    /// The body of `record`, checked against its magic, length and checksum.
    private static func open(_ record: [UInt8]?, _ name: String, magic: String, length: Int, in storage: any SubjectKeyStorage) throws(DeskError) -> [UInt8] {
        guard let bytes = record else { throw DeskError(.storage, "the subject key record '\(name)' in '\(storage.location)' is missing") }
        guard bytes.count == 4 + length + 8, bytes.prefix(4).elementsEqual(magic.utf8),
            Array(SHA256.hash(data: bytes.prefix(4 + length)).prefix(8)) == Array(bytes.suffix(8))
        else {
            throw DeskError(.storage, "the subject key record '\(name)' in '\(storage.location)' is damaged (\(bytes.count) bytes, not a \(magic) record of \(4 + length + 8) that checks): restore the key store from its backup")
        }
        return Array(bytes[4..<(4 + length)])
    }
}

/// A ``SubjectKeyStorage`` in a folder: a file per record (`index.key`,
/// `subjects/TAG`, `keys/ID`), so that removing a record deletes its file and
/// no copy stays behind in any file (an LMDB environment keeps a deleted value
/// in its free pages until it is compacted, and compacting by copy and rename
/// is unsafe while another process has it open). Each file is written to a
/// temporary name, flushed, then linked or renamed into place and its folder
/// flushed; a removed file is overwritten with zeros and flushed first.
public struct SubjectKeyFolder: SubjectKeyStorage {
    /// The folder.
    public let path: String

    /// The folder `path` (made by ``prepare()``).
    public init(path: String) { self.path = path }

    public var location: String { path }

    private func file(_ name: String) -> String { path + "/" + (name == "index" ? "index.key" : name) }

    public func prepare() throws(DeskError) {
        do {
            for folder in [path, path + "/subjects", path + "/keys"] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw DeskError(.storage, "cannot make the subject key store at '\(path)'", underlying: "\(error)")
        }
    }

    public func read(_ name: String) throws(DeskError) -> [UInt8]? {
        let file = file(name)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else { throw DeskError(.storage, "cannot read the subject key file '\(file)'") }
        return Array(data)
    }

    public func add(_ name: String, _ bytes: [UInt8]) throws(DeskError) -> Bool {
        try Self.write(bytes, to: file(name), replace: false)
    }

    public func replace(_ name: String, _ bytes: [UInt8]) throws(DeskError) {
        try Self.write(bytes, to: file(name), replace: true)
    }

    public func remove(_ names: [String]) throws(DeskError) {
        for name in names { try erase(name) }
    }

    /// Zeroes, unlinks and flushes the file of record `name`.
    private func erase(_ name: String) throws(DeskError) {
        let path = file(name)
        let fd = open(path, O_WRONLY)
        if fd >= 0 {
            var size = stat()
            fstat(fd, &size)
            let zeros = [UInt8](repeating: 0, count: Int(size.st_size))
            _ = zeros.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            fsync(fd)
            close(fd)
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw DeskError(.storage, "cannot delete '\(path)': \(String(cString: strerror(errno)))") }
        try Self.syncFolder(of: path)
    }

    /// Writes `bytes` durably to `path`: a temporary file, flushed, then renamed
    /// (`replace`) or linked (not replacing: `false` when `path` exists), and the
    /// folder flushed.
    @discardableResult
    private static func write(_ bytes: [UInt8], to path: String, replace: Bool) throws(DeskError) -> Bool {
        let temporary = path + ".tmp-" + SubjectID.random().description
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw DeskError(.storage, "cannot write the subject key file '\(temporary)': \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        let failure = errno
        close(fd)
        defer { unlink(temporary) }
        guard written == bytes.count, synced else {
            throw DeskError(.storage, "cannot write the subject key file '\(temporary)': \(String(cString: strerror(failure)))")
        }
        if replace {
            guard rename(temporary, path) == 0 else { throw DeskError(.storage, "cannot rename '\(temporary)' to '\(path)': \(String(cString: strerror(errno)))") }
        } else if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw DeskError(.storage, "cannot link '\(temporary)' to '\(path)': \(String(cString: strerror(errno)))")
        }
        try syncFolder(of: path)
        return true
    }

    private static func syncFolder(of path: String) throws(DeskError) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw DeskError(.storage, "cannot flush the folder '\(folder)': \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
