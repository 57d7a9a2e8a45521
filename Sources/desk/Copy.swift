import ArgumentParser
import EventLog
import Foundation

struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a ledger between backends (PostgreSQL ⇄ LMDB), byte for byte, verifying the chain as it goes.",
        discussion: """
            The destination is created if missing. If it already holds an earlier copy (a prefix of the source),
            only the rest is copied, so an interrupted copy is finished by running it again. Both ledgers end with
            the same chain head.
            """)

    @Option(name: .long, help: ArgumentHelp("The source ledger: a folder or a postgres:// URL.", valueName: "path|url"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The destination ledger: a folder or a postgres:// URL.", valueName: "path|url"))
    var to: String

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        guard from != to else { throw ValidationError("--from and --to name the same ledger") }
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
}
