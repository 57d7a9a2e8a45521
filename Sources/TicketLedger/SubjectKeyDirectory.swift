public import Crypto
import Foundation

/// A ``SubjectKeyStore`` in a folder of small files, one per subject key, so
/// that destroying a key deletes its file: no copy stays behind in any file of
/// the store (an LMDB environment keeps a deleted value in its free pages until
/// it is compacted, and compacting by copy-and-rename is unsafe while another
/// process has the environment open).
///
/// The folder holds `index.key` (a random key that turns a name into a file
/// name with HMAC-SHA-256, so no name is stored), `subjects/` (one file per
/// name: the subject's identifier) and `keys/` (one file per subject: its
/// key). Every file is written to a temporary name, flushed, renamed and its
/// folder flushed, before the call returns; a damaged file is an error naming
/// it, never read as a destroyed key. Several processes may share the folder.
///
/// Keep it apart from the ledger's backups: a restored copy of it brings
/// forgotten keys back, and losing it erases every subject.
public struct SubjectKeyDirectory: SubjectKeyStore {
    /// The folder.
    public let path: String
    /// The index key's bytes (`SymmetricKey` is not `Sendable`).
    private let indexKey: [UInt8]

    /// The store in `path`, made (with a new index key) when `create` is true and
    /// there is none.
    ///
    /// - Throws: ``DeskError/Code/notFound`` when there is no store and `create`
    ///   is false; ``DeskError/Code/storage`` when it cannot be read or made.
    public init(path: String, create: Bool = false) throws(DeskError) {
        self.path = path
        let index = path + "/index.key"
        if !FileManager.default.fileExists(atPath: index) {
            guard create else { throw DeskError(.notFound, "no subject key store at '\(path)' (its index.key is missing)") }
            do {
                for folder in [path, path + "/subjects", path + "/keys"] {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
            } catch {
                throw DeskError(.storage, "cannot make the subject key store at '\(path)'", underlying: "\(error)")
            }
            let key = SymmetricKey(size: .bits256)
            try Self.write(Self.sealedFile("TLKI", key.withUnsafeBytes { Array($0) }), to: index, replace: false)
        }
        indexKey = try Self.read(index, magic: "TLKI", length: 32)
    }

    public func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) {
        let tag = nameTag(name)
        if let id = try subject(tag: tag), let key = try key(for: id) { return (id, key) }
        var id = SubjectID.random()
        let key = SymmetricKey(size: .bits256)
        // A new identifier until one is free (8 random bytes: a clash is rare, never silent).
        while try !Self.write(Self.sealedFile("TLKK", id.bytes + tag + key.withUnsafeBytes { Array($0) }), to: keyFile(id), replace: false) {
            id = SubjectID.random()
        }
        let subjectFile = self.subjectFile(tag)
        if try Self.write(Self.sealedFile("TLKS", id.bytes), to: subjectFile, replace: false) == false {
            // Another process made this subject meanwhile (or a destroyed subject returns): its key wins if it still has one.
            if let other = try subject(tag: tag), let otherKey = try self.key(for: other) {
                try Self.remove(keyFile(id))
                return (other, otherKey)
            }
            try Self.write(Self.sealedFile("TLKS", id.bytes), to: subjectFile, replace: true)
        }
        return (id, key)
    }

    public func subject(named name: String) throws(DeskError) -> SubjectID? {
        guard let id = try subject(tag: nameTag(name)), try key(for: id) != nil else { return nil }
        return id
    }

    public func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? {
        let file = keyFile(id)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let content = try Self.read(file, magic: "TLKK", length: Self.keyFileLength)
        guard Array(content.prefix(SubjectID.size)) == id.bytes else { throw DeskError(.storage, "the subject key file '\(file)' holds another subject's key") }
        return SymmetricKey(data: content.suffix(32))
    }

    public func destroyKey(of id: SubjectID) throws(DeskError) -> Bool {
        let file = keyFile(id)
        guard FileManager.default.fileExists(atPath: file) else { return false }
        let content = try Self.read(file, magic: "TLKK", length: Self.keyFileLength)
        let tag = Array(content.dropFirst(SubjectID.size).prefix(16))
        // The name's entry first, while the key still says which it is; then the key, overwritten before it is unlinked.
        if try subject(tag: tag) == id { try Self.remove(subjectFile(tag)) }
        try Self.remove(file, overwrite: true)
        return true
    }

    // MARK: Files

    private func nameTag(_ name: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(name.utf8), using: SymmetricKey(data: indexKey)).prefix(16))
    }

    /// A key file's body: the subject, the name's tag, the key.
    private static let keyFileLength = SubjectID.size + 16 + 32

    private func subjectFile(_ tag: [UInt8]) -> String { path + "/subjects/" + tag.hexadecimal }
    private func keyFile(_ id: SubjectID) -> String { path + "/keys/" + id.description }

    private func subject(tag: [UInt8]) throws(DeskError) -> SubjectID? {
        let file = subjectFile(tag)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        return SubjectID(bytes: try Self.read(file, magic: "TLKS", length: SubjectID.size))
    }

    /// `magic` ‖ `body` ‖ the first 8 bytes of SHA-256 of both.
    private static func sealedFile(_ magic: String, _ body: [UInt8]) -> [UInt8] {
        let content = Array(magic.utf8) + body
        return content + SHA256.hash(data: content).prefix(8)
    }

    /// The body of the file at `path`, checked against its magic, length and checksum.
    private static func read(_ path: String, magic: String, length: Int) throws(DeskError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DeskError(.storage, "cannot read the subject key file '\(path)'") }
        let bytes = Array(data)
        guard bytes.count == 4 + length + 8, bytes.prefix(4).elementsEqual(magic.utf8),
            Array(SHA256.hash(data: bytes.prefix(4 + length)).prefix(8)) == Array(bytes.suffix(8))
        else {
            throw DeskError(.storage, "the subject key file '\(path)' is damaged (\(bytes.count) bytes, not a \(magic) file of \(4 + length + 8) that checks): restore the key store from its backup")
        }
        return Array(bytes[4..<(4 + length)])
    }

    /// Writes `bytes` durably to `path`: a temporary file, flushed, then renamed
    /// (`replace`) or linked (not replacing: `false` when `path` exists), and the
    /// folder flushed.
    @discardableResult
    private static func write(_ bytes: [UInt8], to path: String, replace: Bool) throws(DeskError) -> Bool {
        let temporary = path + ".tmp-" + SubjectID.random().short
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

    /// Deletes the file at `path` (after overwriting it with zeros, flushed, when
    /// `overwrite`) and flushes its folder.
    private static func remove(_ path: String, overwrite: Bool = false) throws(DeskError) {
        if overwrite {
            let fd = open(path, O_WRONLY)
            if fd >= 0 {
                var size = stat()
                fstat(fd, &size)
                let zeros = [UInt8](repeating: 0, count: Int(size.st_size))
                _ = zeros.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                fsync(fd)
                close(fd)
            }
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw DeskError(.storage, "cannot delete '\(path)': \(String(cString: strerror(errno)))") }
        try syncFolder(of: path)
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
