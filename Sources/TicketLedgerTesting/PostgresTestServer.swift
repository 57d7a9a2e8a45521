import Foundation
import Synchronization

/// The PostgreSQL server the tests of the PostgreSQL backend use.
///
/// Its URL comes from `TICKETLEDGER_POSTGRES_URL` (`make test` starts a
/// throwaway cluster with `scripts/pg-cluster.sh` and sets it). Each test gets
/// a schema of its own, so tests run in parallel on one database.
public enum PostgresTestServer {
    /// Why PostgreSQL tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        url == nil
            ? "no PostgreSQL server: TICKETLEDGER_POSTGRES_URL is not set (`make test` starts a throwaway cluster with scripts/pg-cluster.sh and sets it)"
            : nil
    }

    /// Whether a missing server must fail the tests rather than skip them
    /// (`TICKETLEDGER_REQUIRE_POSTGRES=1`, as CI sets it).
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["TICKETLEDGER_REQUIRE_POSTGRES"] == "1"
    }

    /// The server's URL (a database, no schema), if one is configured.
    public static var url: String? {
        ProcessInfo.processInfo.environment["TICKETLEDGER_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static let counter = Atomic<Int>(0)

    /// A URL naming a schema no other test uses (the ledger is created on first open).
    public static func freshLedgerURL(_ label: String = "t") -> String? {
        guard let url else { return nil }
        let number = counter.add(1, ordering: .relaxed).newValue
        let unique = UUID().uuidString.prefix(8).lowercased()
        let separator = url.contains("?") ? "&" : "?"
        return "\(url)\(separator)schema=\(label)_\(getpid())_\(number)_\(unique)"
    }

    /// `SELECT pg_sleep(seconds)` run by `psql` on the server's database,
    /// begun (its snapshot taken) when the initializer returns: another host's
    /// long report, which may still read rows deleted meanwhile.
    public final class OpenStatement: Sendable {
        private let process: Process

        /// Starts the statement and waits until the server shows its snapshot.
        public init(seconds: Double) throws {
            guard let server = PostgresTestServer.url else { throw CancellationError() }
            let marker = "statement-" + UUID().uuidString
            func psql(_ sql: String) throws -> Process {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["psql", "--no-psqlrc", "-qAt", server, "-c", sql]
                process.standardOutput = Pipe()
                try process.run()
                return process
            }
            process = try psql("SELECT pg_sleep(\(seconds)) /* \(marker) */")
            let started = "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND query LIKE '%\(marker)%'"
            while true {
                let probe = try psql(started)
                let output = (probe.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                probe.waitUntilExit()
                if String(decoding: output, as: UTF8.self).hasPrefix("1") { break }
                guard process.isRunning else { throw CancellationError() }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        /// Whether the statement has ended.
        public var hasEnded: Bool { !process.isRunning }

        /// Waits for the statement to end.
        public func wait() { process.waitUntilExit() }
    }
}
