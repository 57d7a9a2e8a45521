import Foundation
import Testing
import TicketLedgerTesting

/// `desk` on a PostgreSQL ledger: the same commands, the same answers.
@Suite("desk on PostgreSQL")
struct PostgresCLITests {
    /// A fresh PostgreSQL ledger URL, or the test is cancelled (failed where the server is required).
    func freshURL() throws -> String {
        if let url = PostgresTestServer.freshLedgerURL("cli") { return url }
        let reason = PostgresTestServer.unavailableReason ?? "no PostgreSQL server"
        if PostgresTestServer.isRequired {
            Issue.record("TICKETLEDGER_REQUIRE_POSTGRES is set but \(reason)")
            throw CancellationError()
        }
        try Test.cancel(Comment(rawValue: reason))
    }

    @Test("copied to PostgreSQL, a ledger answers every read command as on LMDB; copied back and forth, its chain head stays")
    func sameAnswersAndCopies() async throws {
        let url = try freshURL()
        try await withTemporaryDirectory { path in
            let lmdb = path + "/ledger"
            #expect(try desk("generate", "--ledger", lmdb, "--tickets", "300", "--days", "30").status == 0)
            let toPostgres = try desk("copy", "--from", lmdb, "--to", url, "--json")
            #expect(toPostgres.status == 0, "\(toPostgres.err)")
            let head = try json(try desk("verify", "--ledger", lmdb, "--json").out)["chainHead"] as? String
            #expect(try json(toPostgres.out)["chainHead"] as? String == head)

            let commands: [[String]] = [
                ["verify", "--json"],
                ["metrics", "--by", "line", "--json"],
                ["queues", "--json"],
                ["problems", "--by", "ci", "--json"],
                ["replay", "--position", "1500", "--json"],
                ["history", "INC-000042", "--json"],
                ["tail", "--count", "5"],
                ["export", "--format", "xes"],
                ["export", "--format", "ocel"],
                ["export", "--format", "csv"],
            ]
            for command in commands {
                let onLMDB = try runProcess(builtExecutable("desk"), command + ["--ledger", lmdb])
                // The copy's personal data is sealed with the LMDB ledger's keys: given to the PostgreSQL reads too.
                let onPostgres = try runProcess(builtExecutable("desk"), command + ["--ledger", url, "--keys", lmdb + ".keys"])
                #expect(onPostgres.status == 0, "\(command): \(onPostgres.err)")
                #expect(onPostgres.out == onLMDB.out, "desk \(command.joined(separator: " ")) differs between the backends")
            }
            // Those first runs saved their projection snapshots in the PostgreSQL ledger:
            // the next runs start from them and print what a full replay prints.
            for command in [["metrics", "--by", "line", "--json"], ["queues", "--json"], ["problems", "--by", "ci", "--json"]] {
                let again = try runProcess(builtExecutable("desk"), command + ["--ledger", url, "--keys", lmdb + ".keys"])
                let full = try runProcess(builtExecutable("desk"), command + ["--ledger", url, "--no-snapshot", "--keys", lmdb + ".keys"])
                #expect(again.status == 0 && again.err.isEmpty, "\(command): \(again.err)")
                #expect(again.out == full.out, "desk \(command.joined(separator: " ")) from a snapshot in PostgreSQL")
            }
            let snapshots = try desk("snapshot", "--ledger", url)
            #expect(snapshots.status == 0, "\(snapshots.err)")
            let last = try #require(try json(try desk("stats", "--ledger", url, "--json").out)["lastPosition"] as? Int)
            #expect(snapshots.out.split(separator: "\n").count == 3 && snapshots.out.split(separator: "\n").allSatisfy { $0.hasSuffix("position \(last)") })
            var stats = try json(try desk("stats", "--ledger", url, "--json").out)
            #expect(stats["events"] as? Int == (try json(try desk("stats", "--ledger", lmdb, "--json").out))["events"] as? Int)
            #expect(stats["tickets"] as? Int == 300)

            // PostgreSQL → a new LMDB file → a new PostgreSQL schema: the same head each time.
            let back = path + "/back"
            let toLMDB = try desk("copy", "--from", url, "--to", back, "--json")
            #expect(toLMDB.status == 0, "\(toLMDB.err)")
            #expect(try json(toLMDB.out)["chainHead"] as? String == head)
            let again = try freshURL()
            let toPostgresAgain = try desk("copy", "--from", back, "--to", again, "--json")
            #expect(try json(toPostgresAgain.out)["chainHead"] as? String == head)
            #expect(try json(try desk("verify", "--ledger", again, "--json").out)["chainHead"] as? String == head)
            // Running a copy again copies nothing; a copy onto a different ledger is refused.
            #expect(try json(try desk("copy", "--from", back, "--to", again, "--json").out)["copied"] as? Int == 0)
            let other = path + "/other"
            _ = try desk("generate", "--ledger", other, "--tickets", "20", "--days", "5", "--seed", "9")
            let refused = try desk("copy", "--from", other, "--to", again)
            #expect(refused.status != 0)
            #expect(refused.err.contains("is not a copy of"), "\(refused.err)")
            stats = try json(try desk("stats", "--ledger", again, "--json").out)
            #expect(stats["lastPosition"] as? Int == (try json(try desk("stats", "--ledger", lmdb, "--json").out))["lastPosition"] as? Int)
        }
    }

    @Test("init, generate and import write to a PostgreSQL ledger")
    func writeCommands() async throws {
        let url = try freshURL()
        let created = try desk("init", "--ledger", url, "--name", "Retail IT")
        #expect(created.status == 0, "\(created.err)")
        // A new PostgreSQL ledger seals personal data, its keys in a table of its schema.
        #expect(created.out.contains("personal data sealed, keys in") && created.out.contains("table subject_keys"), "\(created.out)")
        let generated = try desk("generate", "--ledger", url, "--tickets", "40", "--days", "5", "--json")
        #expect(generated.status == 0, "\(generated.err)")
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LedgerIOTests/Fixtures/helpdesk-excerpt.csv").path
        let imported = try desk("import", fixture, "--preset", "helpdesk", "--ledger", url, "--json")
        #expect(imported.status == 0, "\(imported.err)")
        let appended = try json(imported.out)["appended"] as? Int ?? 0
        #expect(appended > 0)
        let verify = try json(try desk("verify", "--ledger", url, "--json").out)
        #expect(verify["valid"] as? Bool == true)
        let simulated = try #require(try json(generated.out)["events"] as? Int)
        #expect(verify["events"] as? Int == 2 + simulated + appended, "the desk's description and PersonalDataProtected")
        // A second import writes nothing (the event ids are the rows').
        #expect(try json(try desk("import", fixture, "--preset", "helpdesk", "--ledger", url, "--json").out)["appended"] as? Int == 0)
        let missing = try desk("stats", "--ledger", url.replacingOccurrences(of: "schema=", with: "schema=none_"))
        #expect(missing.status == 1)
        #expect(missing.err.contains("no ledger"), "\(missing.err)")

        // Forgetting a caller deletes the key's row; the history reads as erased; the ledger verifies.
        let history = try desk("history", "--ledger", url, "INC-000001").out
        let caller = try #require(history.firstMatch(of: /from (caller-[0-9]+)/)?.1).description
        let forgot = try desk("forget", "--ledger", url, caller, "--json")
        #expect(forgot.status == 0, "\(forgot.err)")
        let subject = try #require(try json(forgot.out)["subject"] as? String)
        #expect(try desk("history", "--ledger", url, "INC-000001").out.contains("[erased \(subject.prefix(8))]"))
        #expect(try desk("verify", "--ledger", url).status == 0)
        #expect(try desk("forget", "--ledger", url, caller).err.contains("holds no key"))

        // A report on another connection, begun before the deletion, may still
        // read the key's row: forget waits --wait seconds for it, then says what
        // keeps the bytes, and the forgetting is recorded all the same.
        let other = try #require(try desk("history", "--ledger", url, "INC-000002").out.firstMatch(of: /from (caller-[0-9]+)/)?.1).description
        #expect(other != caller)
        let report = try PostgresTestServer.OpenStatement(seconds: 4)
        let cut = try desk("forget", "--ledger", url, other, "--wait", "0.2")
        report.wait()
        #expect(cut.status == 1 && cut.err.contains("forgot subject ") && cut.err.contains("are deleted and can no longer be read") && cut.err.contains("process "), "\(cut.err)")
        #expect(try desk("history", "--ledger", url, "INC-000002").out.contains("[erased "))
        #expect(try desk("history", "--ledger", url, "$desk").out.components(separatedBy: "SubjectForgotten").count == 3, "both forgettings recorded")
        #expect(try desk("forget", "--ledger", url, "--wait=-1", other).err.contains("--wait takes a number of seconds"))
    }
}
