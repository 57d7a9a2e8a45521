import ArgumentParser
import EventLog
import Foundation

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an Ed25519 key to sign checkpoints: the signer key to a file only you read, the verifier key to publish.")

    @Option(help: "The key's name, which signatures show (for example the desk's host and ledger: desk.example.com/ledger).")
    var name: String

    @Option(help: ArgumentHelp("Where to write the signer key (mode 0600); the verifier key goes to FILE.pub.", valueName: "file"))
    var output: String

    func run() throws {
        guard !FileManager.default.fileExists(atPath: output) else {
            throw DeskFailure("\(output) exists; a signer key is never overwritten")
        }
        let (signer, verifier) = try NoteSigner.generate(name: name)
        guard FileManager.default.createFile(atPath: output, contents: Data((signer + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DeskFailure("cannot write \(output)")
        }
        try Data((verifier + "\n").utf8).write(to: URL(fileURLWithPath: output + ".pub"))
        print(verifier)
    }
}

struct MakeCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign the ledger's size and Merkle tree root (a C2SP signed checkpoint) to publish or keep apart from the ledger.")

    @OptionGroup var options: LedgerOptions

    @Option(help: ArgumentHelp("The signer key's file (from desk keygen); or set DESK_SIGNING_KEY to the key itself.", valueName: "file"))
    var key: String?

    @Option(help: "The log's name in the checkpoint (default: the key's name).")
    var origin: String?

    @Option(help: ArgumentHelp("Write the signed checkpoint to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        guard let signer = try signerKey(key) else { throw ValidationError("no signer key: pass --key FILE or set DESK_SIGNING_KEY") }
        let log = try openForReading(options)
        defer { log.close() }
        let checkpoint = try log.checkpoint(origin: origin ?? signer.name)
        let note = try signer.sign(checkpoint.body)
        if let output {
            try Data(note.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            print(note, terminator: "")
        }
    }
}

/// The signer key in `file`, or else in `DESK_SIGNING_KEY`; nil when neither is given.
func signerKey(_ file: String?) throws -> NoteSigner? {
    if let file {
        guard let data = FileManager.default.contents(atPath: file) else { throw DeskFailure("cannot read the signer key \(file)") }
        return try NoteSigner(encoded: String(decoding: data, as: UTF8.self))
    }
    if let fromEnvironment = ProcessInfo.processInfo.environment["DESK_SIGNING_KEY"], !fromEnvironment.isEmpty {
        return try NoteSigner(encoded: fromEnvironment)
    }
    return nil
}

/// A verifier key given on the command line: the key itself, or a file holding it.
func verifierKey(_ argument: String) throws -> NoteVerifier {
    if let data = FileManager.default.contents(atPath: argument) {
        return try NoteVerifier(encoded: String(decoding: data, as: UTF8.self))
    }
    return try NoteVerifier(encoded: argument)
}

/// Reads a signed checkpoint file and checks its signature with `verifier`.
func signedCheckpoint(_ file: String, verifier: NoteVerifier) throws -> Checkpoint {
    guard let data = FileManager.default.contents(atPath: file) else { throw DeskFailure("cannot read the checkpoint \(file)") }
    do {
        return try Checkpoint(parsing: try verifier.verify(String(decoding: data, as: UTF8.self)))
    } catch let error as SignedNoteError {
        throw SignedNoteError("\(file): \(error.description)")
    }
}
