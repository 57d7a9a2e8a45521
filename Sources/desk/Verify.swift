import ArgumentParser
import EventLog
import Foundation
import LedgerIO

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the ledger's hash chain; exit 1 and name the first bad position if it does not hold.")

    @OptionGroup var options: LedgerOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    @Option(name: .customLong("export"), help: ArgumentHelp("Check a JSON Lines export offline, without the ledger.", valueName: "file"))
    var exportFile: String?

    @Option(help: ArgumentHelp("Also check the ledger against a signed checkpoint kept elsewhere (desk checkpoint): nothing at or before it changed or removed.", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("With --checkpoint: an older signed checkpoint; checks that the newer one extends it (a consistency proof from the ledger).", valueName: "file"))
    var since: String?

    @Option(help: ArgumentHelp("The verifier key (NAME+HASH+KEY, from desk keygen) of the checkpoints' or the export's signer, or a file holding it.", valueName: "key"))
    var key: String?

    func validate() throws {
        if exportFile != nil, checkpoint != nil || since != nil { throw ValidationError("--export carries its own checkpoint; --checkpoint and --since check a ledger") }
        if checkpoint != nil, key == nil { throw ValidationError("--checkpoint needs --key, the verifier key of the checkpoint's signer") }
        if since != nil, checkpoint == nil { throw ValidationError("--since needs --checkpoint (the newer checkpoint)") }
    }

    func run() throws {
        if let exportFile { return try verifyExport(exportFile) }
        let log = try openForReading(options)
        defer { log.close() }
        var report = try log.verify()
        var checked: String?
        if report.isValid, let checkpoint, let key {
            let verifier = try verifierKey(key)
            let signed = try signedCheckpoint(checkpoint, verifier: verifier)
            if let problem = try log.mismatch(with: signed) {
                report.isValid = false
                report.problem = "\(checkpoint): \(problem)"
            } else if let since {
                let old = try signedCheckpoint(since, verifier: verifier)
                if let problem = try consistency(of: old, with: signed, in: log) {
                    report.isValid = false
                    report.problem = "\(since) and \(checkpoint): \(problem)"
                } else {
                    checked = "\(checkpoint) (\(signed.size) records, signed by \(verifier.name)) extends \(since) (\(old.size) records) and matches the ledger"
                }
            } else {
                checked = "the first \(signed.size) records are the ones \(checkpoint) signed by \(verifier.name) covers"
            }
        }
        if json {
            struct Output: Encodable { let valid: Bool; let events: UInt64; let chainHead: String; let firstBadPosition: UInt64?; let problem: String?; let checkpoint: String? }
            printJSON(Output(valid: report.isValid, events: report.eventsChecked, chainHead: report.head.hashHex, firstBadPosition: report.firstBadPosition, problem: report.problem, checkpoint: checked))
        } else if report.isValid {
            print("valid: \(report.eventsChecked) events, chain head \(report.head.hashHex)")
            if let checked { print("checkpoint: \(checked)") }
        } else {
            print("INVALID\(report.firstBadPosition.map { " at position \($0)" } ?? ""): \(report.problem ?? "")")
        }
        if !report.isValid { throw ExitCode(1) }
    }

    /// Whether `new` extends `old`: the ledger supplies the consistency proof, the
    /// two signed roots check it.
    func consistency(of old: Checkpoint, with new: Checkpoint, in log: any EventStore) throws -> String? {
        guard old.origin == new.origin else { return "the checkpoints are of two logs ('\(old.origin)', '\(new.origin)')" }
        guard old.size <= new.size else { return "the older checkpoint covers \(old.size) records, more than the newer's \(new.size)" }
        let proof = try MerkleTree.consistencyProof(from: old.size, to: new.size) { try log.treeRoot(of: $0) }
        guard MerkleTree.verifyConsistency(proof: proof, oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root) else {
            return "the newer checkpoint does not extend the older one: a record at or before position \(old.size) was changed between them"
        }
        return nil
    }

    func verifyExport(_ file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DeskFailure("cannot read the export \(file)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let verifier = try key.map(verifierKey)
        let result = ExportVerifier.verify(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), key: verifier)
        // What a valid export proves, in words.
        var proven: [String] = []
        if let checkpoint = result.checkpoint {
            proven.append("every event is in the ledger of \(checkpoint.size) records its checkpoint covers")
            if !result.completeStreams.isEmpty { proven.append("complete up to it: \(result.completeStreams.joined(separator: ", "))") }
            proven.append(result.signedBy.map { "checkpoint signed by \($0)" } ?? "signature NOT checked (pass --key with the signer's verifier key)")
        } else {
            proven.append("version 1 export: no checkpoint, nothing proven beyond the hash chain")
        }
        if json {
            struct Output: Encodable {
                let valid: Bool; let events: Int; let firstBadLine: Int?; let problem: String?
                let checkpointSize: UInt64?; let signedBy: String?; let completeStreams: [String]
            }
            printJSON(Output(
                valid: result.isValid, events: result.events, firstBadLine: result.firstBadLine, problem: result.problem,
                checkpointSize: result.checkpoint?.size, signedBy: result.signedBy, completeStreams: result.completeStreams))
        } else if result.isValid {
            print("valid: \(result.events) events in \(file); \(proven.joined(separator: "; "))")
        } else {
            print("INVALID at line \(result.firstBadLine ?? 0): \(result.problem ?? "")")
        }
        if !result.isValid { throw ExitCode(1) }
    }
}
