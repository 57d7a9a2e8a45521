import Foundation
import Testing
import TicketLedgerTesting

/// The hand-written ServiceNow-style export of the import tests.
private let serviceNowFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("LedgerIOTests/Fixtures/servicenow-incidents.csv").path

/// Every key file of a key store: its name and the key's 32 bytes.
private func keys(in store: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: store + "/keys") {
        let bytes = Array(try #require(FileManager.default.contents(atPath: store + "/keys/" + name)))
        result[name] = Array(bytes[28..<60])  // "TLKK", the subject (8 bytes), the name's tag (16), the key (32), the checksum
    }
    return result
}

@Suite("desk forget: personal data erased, every proof and KPI kept")
struct ForgetTests {
    /// Forgets `caller` in `ledger` and checks what issue 21 asks: the ledger and
    /// an export made before verify against a checkpoint made before; the caller's
    /// name and the destroyed key are in no file of the ledger, the key store or a
    /// new export; every KPI is the figure before.
    func forgetAndCheck(_ caller: String, ledger: String, ticket: String, path: String) throws {
        let store = ledger + ".keys"
        let key = path + "/signer.key"
        #expect(try desk("keygen", "--name", "desk.example.com/ledger", "--output", key).status == 0)
        let checkpoint = path + "/before.checkpoint"
        #expect(try desk("checkpoint", "--ledger", ledger, "--key", key, "--output", checkpoint).status == 0)
        let exportBefore = path + "/before.jsonl"
        #expect(try desk("export", "--ledger", ledger, "--ticket", ticket, "--key", key, "--output", exportBefore).status == 0)
        let kpis = ["metrics", "flow", "queues"]
        // Queues list the open tickets' titles, which read as erased after: compared without them.
        func figures(_ command: String) throws -> String {
            try desk(command, "--ledger", ledger, "--json").out.replacing(/"title":"(?:[^"\\]|\\.)*"/, with: "")
        }
        let before = try kpis.map(figures)
        let problemsBefore = try json(try desk("problems", "--ledger", ledger, "--json").out)
        let history = try desk("history", "--ledger", ledger, ticket).out
        #expect(history.contains(caller), "the history shows the caller before: \(history)")
        let keysBefore = try keys(in: store)
        // Before: no key in the ledger (its projection snapshots included) or an export; no plaintext name in the ledger.
        #expect(try desk("snapshot", "--ledger", ledger).status == 0)
        #expect(keysBefore.values.allSatisfy { files(under: [ledger, exportBefore], containing: $0).isEmpty })
        #expect(files(under: [ledger, exportBefore], containing: Array(caller.utf8)).isEmpty)

        let forgot = try desk("forget", "--ledger", ledger, caller, "--json")
        #expect(forgot.status == 0, "\(forgot.err)")
        let subject = try #require(try json(forgot.out)["subject"] as? String)
        let keysAfter = try keys(in: store)
        #expect(Set(keysBefore.keys).subtracting(keysAfter.keys) == [subject], "exactly the subject's key file is gone")
        let destroyed = try #require(keysBefore[subject])

        // Proofs: the ledger extends the checkpoint made before; the export made before, and one made now, verify.
        let verified = try desk("verify", "--ledger", ledger, "--checkpoint", checkpoint, "--key", key + ".pub")
        #expect(verified.status == 0, "\(verified.out)\(verified.err)")
        #expect(try desk("verify", "--ledger", ledger).status == 0)
        let oldExport = try desk("verify", "--export", exportBefore, "--key", key + ".pub")
        #expect(oldExport.status == 0 && oldExport.out.contains("complete up to it"), "\(oldExport.out)")
        let exportAfter = path + "/after.jsonl"
        #expect(try desk("export", "--ledger", ledger, "--ticket", ticket, "--key", key, "--output", exportAfter).status == 0)
        #expect(try desk("verify", "--export", exportAfter, "--key", key + ".pub").status == 0)

        // Reads show the fields as erased.
        let erased = try desk("history", "--ledger", ledger, ticket).out
        #expect(!erased.contains(caller) && erased.contains("[erased \(subject.prefix(8))]"), "\(erased)")
        #expect(try desk("history", "--ledger", ledger, "$desk").out.contains("SubjectForgotten"))

        // No byte of the caller's name or of the destroyed key in the ledger, the key store (and the snapshots in the ledger), new exports.
        var written = [exportAfter]
        for format in ["xes", "ocel", "csv", "jsonl"] {
            let file = path + "/after." + format + ".export"
            #expect(try desk("export", "--ledger", ledger, "--format", format, "--output", file).status == 0)
            written.append(file)
        }
        #expect(try desk("report", "--ledger", ledger, "--output", path + "/after.html").status == 0)
        written.append(path + "/after.html")
        #expect(try desk("snapshot", "--ledger", ledger).status == 0)
        #expect(files(under: [ledger, store] + written, containing: Array(caller.utf8)).isEmpty)
        #expect(files(under: [ledger, store] + written, containing: destroyed).isEmpty)
        for format in ["ocel", "xes"] {
            #expect(files(under: [path + "/after.\(format).export"], containing: Array("[erased \(subject.prefix(8))]".utf8)).count == 1, "\(format)")
        }

        // Every KPI as before (the problem areas' repeat callers show the caller erased, with the same counts).
        for (command, text) in zip(kpis, before) {
            #expect(try figures(command) == text, "desk \(command) changed")
        }
        var problemsAfter = try json(try desk("problems", "--ledger", ledger, "--json").out)
        func counts(_ report: [String: Any]) -> [Int] { ((report["repeatCallers"] as? [[String: Any]]) ?? []).compactMap { $0["repeatIncidents"] as? Int }.sorted() }
        #expect(counts(problemsAfter) == counts(problemsBefore))
        problemsAfter["repeatCallers"] = nil
        var problemsBeforeRest = problemsBefore
        problemsBeforeRest["repeatCallers"] = nil
        #expect(NSDictionary(dictionary: problemsAfter).isEqual(to: problemsBeforeRest))

        // Forgetting again, or a name the store never held, is an error; nothing is recorded.
        let again = try desk("forget", "--ledger", ledger, caller)
        #expect(again.status == 1 && again.err.contains("holds no key"), "\(again.err)")
    }

    @Test("a simulated ledger: one caller forgotten")
    func simulated() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "200", "--days", "14").status == 0)
            #expect(FileManager.default.fileExists(atPath: ledger + ".keys/index.key"), "a new ledger seals by default")
            let history = try desk("history", "--ledger", ledger, "INC-000001").out
            let caller = try #require(history.firstMatch(of: /from (caller-[0-9]+)/)?.1).description
            #expect(files(under: [ledger], containing: Array("caller-".utf8)).isEmpty, "no caller's name is stored in clear")
            try forgetAndCheck(caller, ledger: ledger, ticket: "INC-000001", path: path)
        }
    }

    @Test("an imported ServiceNow-style export: one caller forgotten")
    func imported() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let fixture = serviceNowFixture
            let imported = try desk("import", fixture, "--ledger", ledger, "--preset", "servicenow")
            #expect(imported.status == 0, "\(imported.err)")
            #expect(files(under: [ledger], containing: Array("Caller ".utf8)).isEmpty, "no caller's name is stored in clear")
            try forgetAndCheck("Caller 7", ledger: ledger, ticket: "INC0000007", path: path)
        }
    }

    @Test("a ledger in clear gets sealing through desk copy --seal: the same KPIs, no name in clear, and a caller can then be forgotten")
    func sealedCopy() async throws {
        try await withTemporaryDirectory { path in
            let clear = path + "/clear"
            #expect(try desk("generate", "--ledger", clear, "--tickets", "150", "--days", "10", "--personal-data-in-clear").status == 0)
            #expect(!files(under: [clear], containing: Array("caller-".utf8)).isEmpty)
            let sealed = path + "/sealed"
            let copied = try desk("copy", "--from", clear, "--to", sealed, "--seal", "--json")
            #expect(copied.status == 0, "\(copied.err)")
            #expect(try json(copied.out)["copied"] as? Int == (try json(try desk("stats", "--ledger", clear, "--json").out)["events"] as? Int))
            #expect(try desk("verify", "--ledger", sealed).status == 0)
            #expect(files(under: [sealed], containing: Array("caller-".utf8)).isEmpty, "no caller's name is in the sealed copy")
            for command in ["metrics", "flow", "queues", "problems"] {
                #expect(try desk(command, "--ledger", sealed, "--json").out == (try desk(command, "--ledger", clear, "--json").out), "desk \(command)")
            }
            // The same history read back (the positions and recorded times are the copy's).
            func history(_ ledger: String) throws -> [String] {
                let events = try #require(try json(try desk("history", "--ledger", ledger, "INC-000002", "--json").out)["events"] as? [[String: Any]])
                return events.map { "\($0["occurredAt"]!) \($0["actorKind"]!):\($0["actor"]!) \($0["type"]!) \($0["summary"]!) \($0["attributes"]!)" }
            }
            #expect(try history(sealed) == history(clear))
            let again = try desk("copy", "--from", clear, "--to", sealed, "--seal")
            #expect(again.status == 1 && again.err.contains("not empty"), "\(again.err)")
            let twice = try desk("copy", "--from", sealed, "--to", path + "/twice", "--seal")
            #expect(twice.status == 1 && twice.err.contains("seals personal data already"), "\(twice.err)")
            let caller = try #require(try desk("history", "--ledger", sealed, "INC-000001").out.firstMatch(of: /from (caller-[0-9]+)/)?.1).description
            #expect(try desk("forget", "--ledger", sealed, caller).status == 0)
            #expect(try desk("history", "--ledger", sealed, "INC-000001").out.contains("[erased "))
        }
    }

    @Test("one seed: the same events and figures every time; the same chain head only in clear, sealing keys being random")
    func seedsAndKeys() async throws {
        try await withTemporaryDirectory { path in
            func generate(_ name: String, _ extra: [String] = []) throws -> [String: Any] {
                let run = try runProcess(builtExecutable("desk"), ["generate", "--ledger", path + "/" + name, "--tickets", "60", "--days", "5", "--json"] + extra)
                #expect(run.status == 0, "\(run.err)")
                return try json(run.out)
            }
            let (clearA, clearB) = (try generate("clear-a", ["--personal-data-in-clear"]), try generate("clear-b", ["--personal-data-in-clear"]))
            let (sealedA, sealedB) = (try generate("sealed-a"), try generate("sealed-b"))
            #expect(clearA["chainHead"] as? String == clearB["chainHead"] as? String)
            #expect(sealedA["chainHead"] as? String != sealedB["chainHead"] as? String)
            #expect(sealedA["events"] as? Int == clearA["events"] as? Int && sealedB["events"] as? Int == clearA["events"] as? Int)
            let figures = try desk("metrics", "--ledger", path + "/clear-a", "--json").out
            #expect(try desk("metrics", "--ledger", path + "/sealed-a", "--json").out == figures)
            #expect(try desk("metrics", "--ledger", path + "/sealed-b", "--json").out == figures)
        }
    }

    @Test("a ledger in clear cannot forget; a ledger that seals refuses to be written without its key store")
    func refusals() async throws {
        try await withTemporaryDirectory { path in
            let clear = path + "/clear"
            #expect(try desk("generate", "--ledger", clear, "--tickets", "20", "--days", "3", "--personal-data-in-clear").status == 0)
            #expect(!FileManager.default.fileExists(atPath: clear + ".keys"))
            let refused = try desk("forget", "--ledger", clear, "caller-1001")
            #expect(refused.status == 1 && refused.err.contains("in clear"), "\(refused.err)")
            let sealed = path + "/sealed"
            #expect(try desk("init", "--ledger", sealed).status == 0)
            try FileManager.default.moveItem(atPath: sealed + ".keys", toPath: path + "/elsewhere")
            let fixture = serviceNowFixture
            let missing = try desk("import", fixture, "--ledger", sealed, "--preset", "servicenow")
            #expect(missing.status == 1 && missing.err.contains("key store") && missing.err.contains("missing"), "\(missing.err)")
            #expect(try desk("import", fixture, "--ledger", sealed, "--preset", "servicenow", "--keys", path + "/elsewhere").status == 0)
            let shown = try desk("history", "--ledger", sealed, "INC0000001")
            #expect(shown.out.contains("[sealed ") && shown.err.contains("missing"), "without its store the fields show as sealed, not erased")
            #expect(try desk("history", "--ledger", sealed, "INC0000001", "--keys", path + "/elsewhere").out.contains("Caller 1"))
        }
    }
}
