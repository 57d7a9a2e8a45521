import EventLog
import Foundation
import Projections
import Testing
import TicketLedgerTesting

/// The commands that replay, run the way an analyst does: their output with a
/// snapshot kept in the ledger equals their output without one, byte for byte.
@Suite("desk with projection snapshots")
struct SnapshotCLITests {
    /// Each command and the file it writes, if any (compared instead of its standard output).
    static let commands: [([String], String?)] = [
        (["queues"], nil), (["queues", "--json"], nil), (["metrics"], nil), (["metrics", "--by", "group", "--json"], nil),
        (["problems"], nil), (["problems", "--by", "service", "--json"], nil), (["replay", "--json"], nil),
        (["report", "--output", "REPORT"], "REPORT"),
    ]

    /// The command's output (its file's bytes, for the report).
    static func output(_ command: [String], file: String?, ledger: String, directory: String, noSnapshot: Bool) throws -> Data {
        let path = directory + "/report.html"
        let arguments = command.map { $0 == "REPORT" ? path : $0 } + ["--ledger", ledger] + (noSnapshot ? ["--no-snapshot"] : [])
        let run = try runProcess(builtExecutable("desk"), arguments)
        #expect(run.status == 0, "desk \(arguments.joined(separator: " ")): \(run.err)")
        #expect(run.err.isEmpty, "desk \(arguments.joined(separator: " ")) wrote to stderr: \(run.err)")
        guard file != nil else { return Data(run.out.utf8) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test("queues, metrics, problems, replay and report print the same bytes with and without a snapshot: the first run makes it, the next start from it, and after more events it is continued")
    func sameOutput() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "300", "--days", "30").status == 0)
            for round in ["made", "read", "continued"] {
                if round == "continued" {
                    // More events after the snapshots: an import of the help-desk excerpt into the same ledger.
                    let excerpt = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                        .appendingPathComponent("LedgerIOTests/Fixtures/helpdesk-excerpt.csv").path
                    let imported = try desk("import", excerpt, "--ledger", ledger, "--preset", "helpdesk")
                    #expect(imported.status == 0, "\(imported.err)")
                }
                for (command, file) in Self.commands {
                    let full = try Self.output(command, file: file, ledger: ledger, directory: path, noSnapshot: true)
                    let snapshot = try Self.output(command, file: file, ledger: ledger, directory: path, noSnapshot: false)
                    #expect(full == snapshot, "desk \(command.joined(separator: " ")), snapshot \(round)")
                }
                if round == "made" {
                    // The first run saved the snapshot it started without, at the ledger's last position.
                    let log = try EventLog(path: ledger, configuration: EventLogConfiguration(access: .readOnly))
                    defer { log.close() }
                    #expect(try log.projectionSnapshot(key: DeskProjector().snapshotKey)?.position == log.lastPosition())
                }
            }
            // The snapshots are in the ledger: desk snapshot finds each one current.
            let made = try desk("snapshot", "--ledger", ledger)
            #expect(made.status == 0, "\(made.err)")
            let log = try EventLog(path: ledger, configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            let last = try log.lastPosition()
            #expect(made.out.split(separator: "\n").count == 3)
            #expect(made.out.split(separator: "\n").allSatisfy { $0.hasSuffix("position \(last)") })
            #expect(try log.projectionSnapshot(key: DeskProjector().snapshotKey)?.position == last)
        }
    }

    @Test("a command reads the snapshot in the ledger (a doctored one changes its figures) and --no-snapshot does not")
    func snapshotIsRead() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let other = path + "/other"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "300", "--days", "30", "--seed", "1").status == 0)
            #expect(try desk("generate", "--ledger", other, "--tickets", "300", "--days", "30", "--seed", "2").status == 0)
            let honest = try desk("metrics", "--ledger", ledger, "--no-snapshot").out
            // The other ledger's state at position 1,000, filed under this ledger's record 1,000.
            var state: [any Projection] = [DeskProjector()]
            do {
                let source = try EventLog(path: other, configuration: EventLogConfiguration(access: .readOnly))
                defer { source.close() }
                try ProjectionEngine.catchUp(source, &state, upTo: 1_000)
            }
            do {
                let log = try EventLog(path: ledger)
                defer { log.close() }
                let record = try #require(try log.event(at: 1_000))
                try log.saveProjectionSnapshot(ProjectionSnapshot(
                    key: DeskProjector().snapshotKey, position: 1_000, recordHash: record.hash, state: try SnapshotStore.state(of: state[0])))
            }
            #expect(try desk("metrics", "--ledger", ledger).out != honest)
            #expect(try desk("metrics", "--ledger", ledger, "--no-snapshot").out == honest)
        }
    }
}

@Suite("Example: an embedder's own projection")
struct CustomProjectionExampleTests {
    @Test("CustomProjection counts the open tickets per client as the desk's queues do, and its second run resumes from the snapshots it saved in the ledger")
    func customProjection() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "400", "--days", "30").status == 0)
            let open = try #require(try json(try desk("queues", "--ledger", ledger, "--json", "--no-snapshot").out)["open"] as? Int)
            let first = try example("custom-projection", ledger)
            #expect(first.status == 0, "\(first.err)")
            #expect(first.out.contains("open-tickets-per-client: from the first event"))
            #expect(first.out.contains("(\(open) in all; the desk's queues say \(open))"))
            let second = try example("custom-projection", ledger)
            #expect(second.status == 0, "\(second.err)")
            let last = try #require(first.out.split(separator: "\n").first { $0.contains("Open tickets per client at position") })
            #expect(second.out.contains("open-tickets-per-client: resumed from the snapshot at position"))
            #expect(second.out.contains("desk: resumed from the snapshot at position"))
            #expect(second.out.contains(last))
            // Its snapshot is the desk's own too: desk queues starts from it and says the same.
            #expect(try desk("queues", "--ledger", ledger, "--json").out == desk("queues", "--ledger", ledger, "--json", "--no-snapshot").out)
        }
    }
}
