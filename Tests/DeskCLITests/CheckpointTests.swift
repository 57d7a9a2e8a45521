import EventLog
import Foundation
import Testing
import TicketLedgerTesting

/// A ledger checked against a signed checkpoint kept apart from it: what a
/// forger who controls the ledger (but not the signer key) can do passes the
/// chain check, and is caught by the checkpoint.
@Suite("Signed checkpoints")
struct CheckpointTests {
    /// A forged copy of `original` in `forged`: its first `keep` records byte for
    /// byte, then (when `edit`) the rest re-chained with record `keep + 1`'s
    /// payload changed, with fresh hashes and head, as a forger would.
    func forge(_ original: String, into forged: String, keep: UInt64, editNext: Bool) throws {
        let source = try EventLog(path: original, configuration: EventLogConfiguration(access: .readOnly))
        defer { source.close() }
        var records: [[UInt8]] = []
        var events: [RecordedEvent] = []
        try source.forEachRecord(from: 1) { record in
            if record.position <= keep { records.append(Array(record.bytes)) } else { events.append(record.materialize()) }
        }
        let target = try EventLog(path: forged)
        defer { target.close() }
        var head = try target.appendCopies(records)
        guard editNext else { return }
        var rewritten: [[UInt8]] = []
        for (offset, recorded) in events.enumerated() {
            var event = recorded.event
            if offset == 0 { event.payload = Array("forged".utf8) + event.payload.dropFirst(min(6, event.payload.count)) }
            var buffer: [UInt8] = []
            let hash = RecordFormat.encode(
                event, streamID: recorded.streamID, streamVersion: recorded.streamVersion, position: recorded.position,
                recordedAt: recorded.recordedAt, previousHash: head.hash, into: &buffer)
            head = ChainHead(position: recorded.position, hash: hash)
            rewritten.append(buffer)
        }
        _ = try target.appendCopies(rewritten)
    }

    @Test("verify --checkpoint finds a chain rewritten to the end, a tail cut, an LMDB meta page rolled back, an edited checkpoint; --since finds checkpoints that do not extend each other")
    func forgeries() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "60", "--days", "6").status == 0)
            let key = path + "/signer.key"
            #expect(try desk("keygen", "--name", "desk.example.com/ledger", "--output", key).status == 0)
            let publicKey = key + ".pub"
            let old = path + "/old.checkpoint"
            #expect(try desk("checkpoint", "--ledger", ledger, "--key", key, "--output", old).status == 0)
            // The ledger grows: an imported log (generate writes only into an empty ledger).
            let excerpt = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("LedgerIOTests/Fixtures/helpdesk-excerpt.csv").path
            #expect(try desk("import", excerpt, "--preset", "helpdesk", "--ledger", ledger).status == 0)
            let checkpoint = path + "/new.checkpoint"
            let made = try desk("checkpoint", "--ledger", ledger, "--key", key, "--output", checkpoint)
            #expect(made.status == 0, "\(made.err)")
            let note = try String(contentsOfFile: checkpoint, encoding: .utf8)
            let size = try #require(UInt64(note.split(separator: "\n")[1]))
            let oldSize = try #require(UInt64(try String(contentsOfFile: old, encoding: .utf8).split(separator: "\n")[1]))

            let good = try desk("verify", "--ledger", ledger, "--checkpoint", checkpoint, "--key", publicKey, "--since", old)
            #expect(good.status == 0, "\(good.out)\(good.err)")
            #expect(good.out.contains("extends"))

            func refused(_ ledger: String, _ checkpoint: String, since: String? = nil, saying expected: String, _ what: Comment) throws {
                var arguments = ["verify", "--ledger", ledger, "--checkpoint", checkpoint, "--key", publicKey]
                if let since { arguments += ["--since", since] }
                let result = try runProcess(builtExecutable("desk"), arguments)
                #expect(result.status == 1, what)
                #expect((result.out + result.err).contains(expected), "\(what): \(result.out)\(result.err)")
            }

            // The chain rewritten from record 30 to the end, with a new head: the chain check passes.
            let rewritten = path + "/rewritten"
            try forge(ledger, into: rewritten, keep: 29, editNext: true)
            #expect(try desk("verify", "--ledger", rewritten).status == 0, "a rewritten chain passes the chain check alone")
            try refused(rewritten, checkpoint, saying: "was changed", "the chain rewritten to the end")

            // The last records removed and the head reset.
            let cut = path + "/cut"
            try forge(ledger, into: cut, keep: size - 2, editNext: false)
            #expect(try desk("verify", "--ledger", cut).status == 0, "a cut ledger passes the chain check alone")
            try refused(cut, checkpoint, saying: "\(size - 2) records", "the tail cut")

            // LMDB's newer meta page made older than the other: the ledger opens as of an earlier commit.
            let rolledBack = path + "/rolled-back"
            try FileManager.default.copyItem(atPath: ledger, toPath: rolledBack)
            try? FileManager.default.removeItem(atPath: rolledBack + "/lock.mdb")
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: rolledBack + "/data.mdb"))
            func txnid(_ page: UInt64) throws -> UInt64 {
                try file.seek(toOffset: page * 4096 + 144)
                return try file.read(upToCount: 8)!.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            }
            let (first, second) = (try txnid(0), try txnid(1))
            let newer: UInt64 = first > second ? 0 : 1
            try file.seek(toOffset: newer * 4096 + 144)
            try file.write(contentsOf: withUnsafeBytes(of: min(first, second) - 1) { Data($0) })
            try file.close()
            #expect(try desk("verify", "--ledger", rolledBack).status == 0, "a rolled-back ledger passes the chain check alone")
            try refused(rolledBack, checkpoint, saying: "records, but the checkpoint covers \(size)", "the meta page rolled back")

            // The checkpoint's size edited (its signature then fails), and another key's checkpoint.
            let edited = path + "/edited.checkpoint"
            try note.replacingOccurrences(of: "\n\(size)\n", with: "\n\(size - 5)\n").write(toFile: edited, atomically: true, encoding: .utf8)
            try refused(ledger, edited, saying: "does not verify", "an edited checkpoint")
            let otherKey = path + "/other.key"
            #expect(try desk("keygen", "--name", "desk.example.com/ledger", "--output", otherKey).status == 0)
            let foreign = path + "/foreign.checkpoint"
            #expect(try desk("checkpoint", "--ledger", ledger, "--key", otherKey, "--output", foreign).status == 0)
            try refused(ledger, foreign, saying: "no signature of the key", "a checkpoint signed by another key")

            // Two checkpoints of the rewritten history: each is signed, but the newer does not extend the older.
            let forgedOld = path + "/forged-old.checkpoint"
            #expect(try desk("checkpoint", "--ledger", rewritten, "--key", key, "--output", forgedOld).status == 0)
            try refused(ledger, checkpoint, since: forgedOld, saying: "does not extend", "an older checkpoint of another history")
            #expect(oldSize < size)

            // The same checks without TicketLedger: scripts/verify_export.py on full exports.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let interpreter = ProcessInfo.processInfo.environment["TICKETLEDGER_PYTHON"] ?? root.appendingPathComponent(".build/pyvenv/bin/python").path
            try #require(FileManager.default.isExecutableFile(atPath: interpreter), "no Python with cryptography at \(interpreter) (make test installs it)")
            func python(_ ledger: String, _ checkpoint: String) throws -> ProcessOutput {
                let export = ledger + ".jsonl"
                #expect(try desk("export", "--ledger", ledger, "--key", key, "--output", export).status == 0)
                return try runProcess(interpreter, [root.appendingPathComponent("scripts/verify_export.py").path, export, "--checkpoint", checkpoint, "--key", publicKey])
            }
            let independent = try python(ledger, checkpoint)
            #expect(independent.status == 0, "\(independent.out)\(independent.err)")
            #expect(independent.out.contains("checkpoint: the first \(size) records"))
            for (forged, expected) in [(rewritten, "was changed"), (cut, "\(size - 2) records")] {
                let result = try python(forged, checkpoint)
                #expect(result.status == 1 && result.out.contains(expected), "\(forged): \(result.out)\(result.err)")
            }
            let editedByPython = try python(ledger, edited)
            #expect(editedByPython.status == 1 && editedByPython.out.contains("no valid signature"), "\(editedByPython.out)\(editedByPython.err)")
        }
    }

    @Test("desk upgrade gives a ledger written without the proof index its index, once; stats says how much it covers; the checkpoint is the same")
    func upgrade() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "40", "--days", "5").status == 0)
            let key = path + "/signer.key"
            #expect(try desk("keygen", "--name", "desk.example.com/ledger", "--output", key).status == 0)
            let before = try desk("checkpoint", "--ledger", ledger, "--key", key).out
            let events = try #require(try json(try desk("stats", "--ledger", ledger, "--json").out)["events"] as? Int)
            try dropProofIndex(ledger: ledger)
            #expect(try json(try desk("stats", "--ledger", ledger, "--json").out)["proofIndexRecords"] as? Int == 0)
            #expect(try desk("stats", "--ledger", ledger).out.contains("Proof index:     0 of \(events) records (desk upgrade builds the rest"))
            // Read-only commands still prove, from the records: the same roots.
            let fromRecords = try desk("checkpoint", "--ledger", ledger, "--key", key).out
            let upgraded = try desk("upgrade", "--ledger", ledger)
            #expect(upgraded.status == 0)
            #expect(upgraded.out.contains("proof index: built for \(events) records"), "\(upgraded.out)")
            // The library's info line is not printed beside desk's own (DESK_LOG_LEVEL=info shows it).
            #expect(!upgraded.err.contains("building the proof index"), "\(upgraded.err)")
            #expect(try desk("upgrade", "--ledger", ledger).out.contains("proof index: complete, \(events) records; nothing to do"))
            // DESK_LOG_LEVEL=info shows the library's info lines.
            try dropProofIndex(ledger: ledger)
            let verbose = try desk("upgrade", "--ledger", ledger, environment: ["DESK_LOG_LEVEL": "info"])
            #expect(verbose.status == 0 && verbose.err.contains("building the proof index"), "\(verbose.err)")
            #expect(try desk("stats", "--ledger", ledger).out.contains("Proof index:     complete"))
            #expect(try desk("verify", "--ledger", ledger).status == 0)
            let after = try desk("checkpoint", "--ledger", ledger, "--key", key).out
            // The signed body's first lines (origin, size, root, map) agree; the time line differs.
            func roots(_ note: String) -> [Substring] { Array(note.split(separator: "\n").prefix(4)) }
            #expect(roots(before) == roots(fromRecords) && roots(before) == roots(after))
        }
    }
}
