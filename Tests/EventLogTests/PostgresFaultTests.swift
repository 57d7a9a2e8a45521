import EventLog
import Foundation
import PostgresEventLog
import Testing
import TicketLedgerTesting

/// A PostgreSQL server that dies (`pg_ctl stop -m immediate`, what a power cut or
/// an OOM kill does to its processes) and comes back, under writers and a
/// follower. The test runs a cluster of its own, so the other suites' server is
/// never stopped under them.
@Suite("PostgreSQL server restarts", .serialized)
struct PostgresFaultTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/pg-cluster.sh").standardized.path

    /// Runs pg-cluster.sh with `arguments`, failing the test when it fails.
    func cluster(_ arguments: String...) throws -> String {
        let result = try runProcess("/bin/bash", [Self.script] + arguments, timeout: .seconds(120))
        try #require(result.status == 0, "pg-cluster.sh \(arguments.joined(separator: " ")): \(result.err)")
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("stopped with -m immediate and restarted 5 times under four writers: every call returns within 30 s, nothing acknowledged is lost, the chain is valid, and tail --follow prints every event once")
    func serverRestartsUnderWriters() async throws {
        guard PostgresTestServer.url != nil else {
            if PostgresTestServer.isRequired { Issue.record("TICKETLEDGER_REQUIRE_POSTGRES is set but TICKETLEDGER_POSTGRES_URL is not") }
            try Test.cancel(Comment(rawValue: PostgresTestServer.unavailableReason ?? "no PostgreSQL server"))
        }
        let dir = "/tmp/ticketledger-pg-fault-\(getpid())"
        // Below Linux's ephemeral range (32768 and up): a port in it can be held by a
        // client socket of the tests themselves when the server restarts (seen once:
        // "could not bind ... Address already in use").
        let port = ProcessInfo.processInfo.environment["TICKETLEDGER_PG_FAULT_PORT"] ?? String(29500 + getpid() % 400)
        // Commits are written to the kernel before they are acknowledged
        // (synchronous_commit on), so a killed server loses none; fsync is off,
        // as the machine itself does not crash here.
        let started = try runProcess(
            "/bin/bash", [Self.script, "start", dir, port], environment: ["PG_SERVER_OPTIONS": "-c fsync=off -c full_page_writes=off"],
            timeout: .seconds(120))
        try #require(started.status == 0, "starting a cluster of its own: \(started.err)")
        defer { _ = try? cluster("stop", dir) }
        let url = started.out.trimmingCharacters(in: .whitespacesAndNewlines) + "?schema=faults&timeout=10"
        // One event first: the follower shows it when it is ready (it follows from after the newest).
        let setup = try PostgresEventLog(url: url)
        _ = try await setup.append([ProposedEvent(type: "Setup", occurredAt: .now(), actor: ActorRef(.system, "test"), payload: [])], to: "setup")
        setup.close()

        try await withTemporaryDirectory { folder in
            // The follower, started before the first round.
            let tailOutput = folder + "/tail.out"
            _ = FileManager.default.createFile(atPath: tailOutput, contents: nil)
            let tail = Process()
            tail.executableURL = URL(fileURLWithPath: builtExecutable("desk"))
            tail.arguments = ["tail", "--follow", "--count", "1", "--ledger", url]
            tail.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: tailOutput))
            tail.standardError = FileHandle.nullDevice
            try tail.run()
            defer { if tail.isRunning { kill(tail.processIdentifier, SIGKILL) } }

            let ready = ContinuousClock.now + .seconds(30)
            while try String(contentsOfFile: tailOutput, encoding: .utf8).isEmpty, ContinuousClock.now < ready {
                try await Task.sleep(for: .milliseconds(100))
            }
            // (Their stderr is left out: each failed append is logged there.)
            // The writers append for 25 s; the server is down for a second in each
            // of the five rounds, so every writer that tries then must retry.
            let writers = try (0..<4).map { try HelperProcess(["append-retrying", url, "w\($0)", "25"], quietErrors: true) }
            for writer in writers { #expect(writer.waitFor("ready")) }
            for _ in 1...5 {
                try await Task.sleep(for: .milliseconds(1000))
                _ = try cluster("crash", dir)
                try await Task.sleep(for: .milliseconds(1000))
                _ = try cluster("restart", dir, port)
            }
            for writer in writers {
                #expect(writer.waitUntilExit() == 0, "a writer failed")
                #expect(writer.output.last == "done")
                let longest = writer.output.first { $0.hasPrefix("longest-call ") }.flatMap { Int($0.split(separator: " ")[1]) }
                #expect((longest ?? .max) < 30_000, "the longest call of a writer took \(longest ?? -1) ms")
            }
            let retries = writers.map { $0.output.filter { $0.hasPrefix("retry ") }.count }
            #expect(retries.reduce(0, +) > 0, "no append saw a restart: the test did not test restarts")

            let log = try PostgresEventLog(url: url)
            defer { log.close() }
            let report = try log.verify()
            #expect(report.isValid, "\(report)")
            var acknowledged = 0
            for writer in writers {
                for line in writer.output where line.hasPrefix("ack ") {
                    let fields = line.split(separator: " ")
                    let id = try #require(EventID(String(fields[2])))
                    let stored = try log.event(id: id)
                    #expect(stored?.position == UInt64(fields[1]), "acknowledged \(line) is not stored there")
                    acknowledged += 1
                }
            }
            let total = try log.lastPosition()
            #expect(UInt64(acknowledged) + 1 == total, "\(acknowledged) acknowledged, \(total - 1) stored")

            // The follower prints each event once, in order, across the restarts.
            var printed: [UInt64] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let text = try String(contentsOfFile: tailOutput, encoding: .utf8)
                printed = text.split(separator: "\n").compactMap { line in
                    line.hasPrefix("#") ? UInt64(line.dropFirst().prefix { $0 != " " }) : nil
                }
                if printed.count >= Int(total) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(tail.isRunning, "tail --follow ended")
            #expect(printed == Array(1...total), "tail --follow printed \(printed.count) events of \(total)")
        }
    }
}
