import ArgumentParser
import EventLog
import Foundation
import TicketLedger

struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a ledger between backends (PostgreSQL ⇄ LMDB), byte for byte, verifying the chain as it goes.",
        discussion: """
            The destination is created if missing. If it already holds an earlier copy (a prefix of the source),
            only the rest is copied, so an interrupted copy is finished by running it again. Both ledgers end with
            the same chain head. A ledger that seals personal data is copied sealed; its key store is not copied:
            give it to the copy's readers with --keys (or copy the folder, and keep it out of the ledger's backups).

            With --seal, the copy seals the personal data of a ledger that keeps it in clear: the destination must be
            new, its key store is made (--keys, by default the destination's folder with .keys appended), every
            ticket's personal fields are sealed under its caller's key, and the chain is new. Retire the source
            afterwards: it still holds the plaintext.
            """)

    @Option(name: .long, help: ArgumentHelp("The source ledger: a folder or a postgres:// URL.", valueName: "path|url"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The destination ledger: a folder or a postgres:// URL.", valueName: "path|url"))
    var to: String

    @Flag(help: "Seal the personal data of a ledger in clear into a new one (see above).")
    var seal = false

    @Option(help: ArgumentHelp("With --seal: the new ledger's subject key store.", valueName: "folder"))
    var keys: String?

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        guard from != to else { throw ValidationError("--from and --to name the same ledger") }
        if seal { return try sealedCopy() }
        let source = try openLedger(from, access: .readOnly)
        defer { source.close() }
        // Buffered for LMDB: one sync when the copy is closed; an interrupted copy resumes.
        let destination = try openLedger(to, access: .readWrite, durability: .buffered)
        defer { destination.close() }
        let total = try source.lastPosition()
        let progress = Progress(label: "copying")
        let result = try source.copy(to: destination) { progress.update($0, of: total) }
        progress.finish()
        let sourceHead = try source.head()
        guard result.head == sourceHead else {
            throw DeskFailure("after the copy, \(to) ends at \(result.head) but \(from) at \(sourceHead)")
        }
        if json {
            struct Output: Encodable { let copied, events: UInt64; let chainHead: String }
            printJSON(Output(copied: result.copied, events: result.head.position, chainHead: result.head.hashHex))
        } else {
            print("Copied \(result.copied) events from \(source.location) to \(destination.location); both end at position \(result.head.position), chain head \(result.head.hashHex)")
        }
    }

    /// `--seal`: the events written again with their personal fields sealed, into a new ledger.
    func sealedCopy() throws {
        var keyPath = keys
        if keyPath == nil, !LedgerLocation.isPostgresURL(to) {
            var folder = to
            while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
            keyPath = folder + ".keys"
        }
        guard let keyPath else { throw ValidationError("--seal into a PostgreSQL ledger needs --keys FOLDER") }
        let source = try openLedger(from, access: .readOnly)
        defer { source.close() }
        let destination = try openLedger(to, access: .readWrite, durability: .buffered)
        defer { destination.close() }
        guard try destination.lastPosition() == 0 else { throw DeskFailure("\(to) is not empty: --seal copies into a new ledger") }
        let total = try source.lastPosition()
        let progress = Progress(label: "sealing")
        let copied = try PersonalData(keys: try SubjectKeyDirectory(path: keyPath, create: true)).sealedCopy(of: source, into: destination) {
            progress.update($0, of: total)
        }
        progress.finish()
        let head = try destination.head()
        if json {
            struct Output: Encodable { let copied, events: UInt64; let chainHead, keys: String }
            printJSON(Output(copied: copied, events: head.position, chainHead: head.hashHex, keys: keyPath))
        } else {
            print("Copied \(copied) events from \(source.location) to \(destination.location) with their personal data sealed (keys in \(keyPath)); it ends at position \(head.position), chain head \(head.hashHex). Retire \(source.location): it still holds the plaintext.")
        }
    }
}
