import Crypto
import Foundation

/// What a ledger's owner publishes to commit to the ledger as it is: its size and
/// the root of its ``MerkleTree``, in the C2SP `tlog-checkpoint` format, signed as
/// a C2SP `signed-note` (``NoteSigner``, ``NoteVerifier``).
///
/// ```
/// desk.example.com/ledger
/// 12345
/// 8Cn6vXbg2l7ZHl4VR0V1mQ3hfqJx8p0mZp1zj5l0HnA=
/// time 2026-12-01T12:00:00.000000Z
/// ```
///
/// The lines: the origin (which log), the tree size in decimal, the root hash in
/// base64, then extension lines (here the time it was made). A ledger checked
/// against a checkpoint kept elsewhere shows that none of the checkpoint's
/// records was changed, removed or reordered since.
public struct Checkpoint: Sendable, Hashable {
    /// Which log: a name without spaces, such as a host and a path.
    public var origin: String
    /// The number of records the checkpoint covers (positions 1 through `size`).
    public var size: UInt64
    /// The Merkle tree root of those records.
    public var root: MerkleTree.Hash
    /// Lines after the root, such as `time 2026-12-01T12:00:00.000000Z`.
    public var extensions: [String]

    /// A checkpoint from its parts.
    public init(origin: String, size: UInt64, root: MerkleTree.Hash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The text that is signed: each line followed by a newline.
    public var body: String {
        ([origin, String(size), Data(root).base64EncodedString()] + extensions).map { $0 + "\n" }.joined()
    }

    /// The time extension line's value, if there is one.
    public var time: Timestamp? {
        extensions.first { $0.hasPrefix("time ") }.flatMap { Timestamp(iso8601: String($0.dropFirst(5))) }
    }

    /// Parses a checkpoint's body (a verified note's text).
    ///
    /// - Throws: ``SignedNoteError`` naming the line that is not as the format says.
    public init(parsing body: String) throws {
        guard body.hasSuffix("\n") else { throw SignedNoteError("a checkpoint ends with a newline") }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw SignedNoteError("a checkpoint has at least three lines (origin, size, root); this one has \(lines.count)") }
        guard !lines[0].isEmpty else { throw SignedNoteError("line 1 of the checkpoint (the origin) is empty") }
        guard let size = UInt64(lines[1]), lines[1] == String(size) else {
            throw SignedNoteError("line 2 of the checkpoint (the tree size) is not a decimal number: '\(lines[1])'")
        }
        guard let root = Data(base64Encoded: lines[2]), root.count == 32 else {
            throw SignedNoteError("line 3 of the checkpoint (the root) is not 32 bytes in base64: '\(lines[2])'")
        }
        if let empty = lines.dropFirst(3).firstIndex(where: \.isEmpty) {
            throw SignedNoteError("line \(empty + 1) of the checkpoint is empty")
        }
        self.init(origin: lines[0], size: size, root: Array(root), extensions: Array(lines.dropFirst(3)))
    }
}

/// A checkpoint or signed note that does not parse or verify, or a key that does not decode.
public struct SignedNoteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}

/// An Ed25519 key that signs notes (C2SP `signed-note`), written as
/// `PRIVATE+KEY+NAME+HASH+KEY`: the key's name, the 8 hexadecimal digits of its
/// key id, and `0x01` followed by the 32-byte seed, in base64. Keep it out of
/// the ledger (a file only its owner reads, or an environment variable).
public struct NoteSigner: Sendable {
    /// The key's name: what a signature line names.
    public let name: String
    /// The first four bytes of SHA-256(name ‖ `\n` ‖ 0x01 ‖ public key), big-endian.
    public let keyID: UInt32
    /// The 32-byte seed (kept as bytes: Crypto's key types are not `Sendable`).
    private let seed: [UInt8]
    /// Its 32-byte public key.
    private let publicKey: [UInt8]

    /// Decodes a signer key.
    public init(encoded: String) throws {
        // The key, in base64, may itself hold '+': split at the first four only.
        let parts = encoded.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw SignedNoteError("a signer key reads PRIVATE+KEY+NAME+HASH+KEY")
        }
        guard let data = Data(base64Encoded: parts[4]), data.count == 33, data.first == 0x01,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data.dropFirst())
        else { throw SignedNoteError("the signer key '\(parts[2])' does not hold an Ed25519 key (0x01 and 32 bytes, in base64)") }
        try NoteVerifier.checkName(parts[2])
        self.name = parts[2]
        self.seed = Array(key.rawRepresentation)
        self.publicKey = Array(key.publicKey.rawRepresentation)
        self.keyID = NoteVerifier.keyID(name: parts[2], publicKey: publicKey)
        guard String(format: "%08x", keyID) == parts[3].lowercased() else {
            throw SignedNoteError("the signer key '\(name)' says key id \(parts[3]), but its key's id is \(String(format: "%08x", keyID))")
        }
    }

    /// A new random key named `name`: the signer key and its verifier key, encoded.
    public static func generate(name: String) throws -> (signer: String, verifier: String) {
        try NoteVerifier.checkName(name)
        let key = Curve25519.Signing.PrivateKey()
        let id = String(format: "%08x", NoteVerifier.keyID(name: name, publicKey: Array(key.publicKey.rawRepresentation)))
        let signer = "PRIVATE+KEY+\(name)+\(id)+" + Data([0x01] + key.rawRepresentation).base64EncodedString()
        let verifier = "\(name)+\(id)+" + Data([0x01] + key.publicKey.rawRepresentation).base64EncodedString()
        return (signer, verifier)
    }

    /// The verifier key of this signer, encoded.
    public var verifierKey: String {
        "\(name)+\(String(format: "%08x", keyID))+" + Data([0x01] + publicKey).base64EncodedString()
    }

    /// `text` signed: the text, a blank line, and the signature line
    /// `— NAME BASE64(key id ‖ signature)`.
    public func sign(_ text: String) throws -> String {
        guard text.hasSuffix("\n") else { throw SignedNoteError("a note's text ends with a newline") }
        let signature = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: Data(text.utf8))
        let id = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
        return text + "\n" + "\u{2014} \(name) " + Data(id + signature).base64EncodedString() + "\n"
    }
}

/// An Ed25519 public key that checks signed notes, written as `NAME+HASH+KEY`
/// (the name, the key id in 8 hexadecimal digits, `0x01` and the 32-byte public
/// key in base64), as Go's `note` package and Sigstore write them.
public struct NoteVerifier: Sendable {
    /// The key's name.
    public let name: String
    /// The key id (see ``NoteSigner/keyID``).
    public let keyID: UInt32
    /// The 32-byte public key (kept as bytes: Crypto's key types are not `Sendable`).
    private let publicKey: [UInt8]

    /// Decodes a verifier key.
    public init(encoded: String) throws {
        let parts = encoded.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw SignedNoteError("a verifier key reads NAME+HASH+KEY") }
        try Self.checkName(parts[0])
        guard let data = Data(base64Encoded: parts[2]), data.count == 33, data.first == 0x01,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: data.dropFirst())
        else { throw SignedNoteError("the verifier key '\(parts[0])' does not hold an Ed25519 key (0x01 and 32 bytes, in base64)") }
        self.name = parts[0]
        self.publicKey = Array(key.rawRepresentation)
        self.keyID = Self.keyID(name: parts[0], publicKey: Array(key.rawRepresentation))
        guard String(format: "%08x", keyID) == parts[1].lowercased() else {
            throw SignedNoteError("the verifier key '\(name)' says key id \(parts[1]), but its key's id is \(String(format: "%08x", keyID))")
        }
    }

    /// Checks `note`'s signatures and returns its text when one of them is this
    /// key's and valid. Signatures of other keys are ignored.
    ///
    /// - Throws: ``SignedNoteError`` saying why not.
    public func verify(_ note: String) throws -> String {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw SignedNoteError("not a signed note: no blank line before the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let lines = note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        guard note.hasSuffix("\n"), lines.last == "" else { throw SignedNoteError("a signed note ends with a newline") }
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        var ownLines = 0
        for line in lines.dropLast() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}", let signature = Data(base64Encoded: String(fields[2])), signature.count > 4 else {
                throw SignedNoteError("'\(line)' is not a signature line ('\u{2014} NAME SIGNATURE')")
            }
            let id = signature.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard fields[1] == name, id == keyID else { continue }
            ownLines += 1
            if key.isValidSignature(signature.dropFirst(4), for: Data(text.utf8)) { return text }
        }
        throw SignedNoteError(
            ownLines == 0
                ? "the note has no signature of the key '\(name)' (id \(String(format: "%08x", keyID)))"
                : "the note's signature by '\(name)' does not verify: the text or the signature was changed")
    }

    /// A note's text without checking any signature: the lines before the
    /// signatures' blank line, or the whole note when it has no signatures.
    /// Anyone can write such a text; only ``verify(_:)`` says who did.
    public static func text(of note: String) -> String {
        guard let split = note.range(of: "\n\n", options: .backwards) else { return note }
        return String(note[..<split.lowerBound]) + "\n"
    }

    static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey))
        return digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("+"), !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw SignedNoteError("a key name is not empty and has no spaces and no '+': '\(name)'")
        }
    }
}

extension EventStore {
    /// A checkpoint of the ledger as it is now: its size, tree root and stream
    /// map (``StreamEntry``), with the time as an extension line. Sign its
    /// ``Checkpoint/body`` with a ``NoteSigner`` to publish it.
    public func checkpoint(origin: String, time: Timestamp = .now()) throws -> Checkpoint {
        try prove(size: try storedHead().lastPosition).checkpoint(origin: origin, time: time)
    }

    /// Why the ledger is not the one `checkpoint` was made of, or nil when its
    /// first ``Checkpoint/size`` records are exactly those the checkpoint's root
    /// covers, and its streams had the events its map says (records appended
    /// since do not matter).
    public func mismatch(with checkpoint: Checkpoint) throws -> String? {
        let size = try storedHead().lastPosition
        guard size >= checkpoint.size else {
            return "the ledger has \(size) records, but the checkpoint covers \(checkpoint.size): records were removed, or the ledger was rolled back"
        }
        let proof = try prove(size: checkpoint.size, from: .records)
        guard proof.root == checkpoint.root else {
            return "the ledger's first \(checkpoint.size) records do not have the checkpoint's root: a record at or before position \(checkpoint.size) was changed"
        }
        if checkpoint.extensions.contains(where: { $0.hasPrefix("map ") }) {
            guard let map = checkpoint.map, map.size == proof.mapSize, map.root == proof.mapRoot else {
                return "the checkpoint's stream map is not the ledger's (\(proof.mapLine) up to position \(checkpoint.size)): it was signed for other streams"
            }
        }
        return nil
    }
}
