public import EventLog
import Foundation
public import CoreMetrics

/// Where a PostgreSQL ledger is and how to open it.
///
/// Written as a URL, as `desk --ledger` takes it:
///
/// ```
/// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME][&sslmode=disable|prefer|require][&timeout=SECONDS]
/// ```
///
/// The ledger lives in the schema `NAME` (default `ticketledger`) of the
/// database: one ledger per schema. Without a password in the URL, `PGPASSWORD`
/// is used when set.
public struct PostgresLedgerConfiguration: Sendable {
    /// Whether to encrypt the connection.
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP (a loopback or a private network).
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection; the server's certificate is verified against the system's roots.
        case require
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int = 5432
    /// The role to connect as.
    public var username: String
    /// The role's password, if the server asks for one.
    public var password: String?
    /// The database.
    public var database: String
    /// The schema holding the ledger's tables: lowercase letters, digits and `_`, at most 48.
    public var schema: String = "ticketledger"
    /// Whether to encrypt the connection.
    public var tls: TLSMode = .disable
    /// Read-write, or read-only (appends are refused by the client; give the
    /// role only `SELECT` and the server refuses them too).
    public var access: EventLogConfiguration.AccessMode = .readWrite
    /// Create the schema and tables when missing (read-write only; needs the
    /// `CREATE` privilege on the database the first time).
    public var createIfMissing: Bool = true
    /// How long a subscription waits for a notification before it reads anyway:
    /// a missed notification delays an event by at most this much, never loses it.
    public var pollInterval: Duration = .milliseconds(500)
    /// The longest a call waits for the server: a statement, the append lock, an
    /// answer. The server ends a statement or lock wait that takes longer
    /// (`statement_timeout`, `lock_timeout`); the client gives up on a server that
    /// stops answering a little after. Either way the call fails with
    /// `EventLogError/Code/unavailable`, and the next call connects again.
    /// Connecting waits at most this or 10 seconds, whichever is shorter.
    public var timeout: Duration = .seconds(20)
    /// Where `recordedAt` comes from: the client's wall clock unless set.
    public var clock: @Sendable () -> Timestamp = { Timestamp.now() }
    /// Where the ledger's metrics go (the Metrics article of `EventLog`): the factory bootstrapped with
    /// `MetricsSystem` when nil.
    public var metricsFactory: (any MetricsFactory)?

    /// A configuration from its parts.
    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, schema: String = "ticketledger") {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.schema = schema
    }

    /// Whether `location` names a PostgreSQL ledger (starts with `postgres://` or `postgresql://`).
    public static func isPostgresURL(_ location: String) -> Bool {
        LedgerLocation.isPostgresURL(location)
    }

    /// Parses a `postgres://` URL.
    ///
    /// - Throws: `EventLogError/Code/invalidArgument` naming what is wrong.
    public init(url: String) throws {
        guard Self.isPostgresURL(url), let components = URLComponents(string: url) else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(url))' is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(url))' names no host")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(url))' names no database (postgres://USER@HOST:PORT/DATABASE)")
        }
        self.init(
            host: host, port: components.port ?? 5432,
            username: components.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: components.password.flatMap { $0.removingPercentEncoding } ?? ProcessInfo.processInfo.environment["PGPASSWORD"],
            database: database.removingPercentEncoding ?? database)
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                schema = item.value ?? ""
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw EventLogError(.invalidArgument, "sslmode '\(item.value ?? "")' in '\(Self.redacted(url))': use disable, prefer or require")
                }
                tls = mode
            case "timeout":
                guard let seconds = item.value.flatMap(Int.init), (1...3600).contains(seconds) else {
                    throw EventLogError(.invalidArgument, "timeout '\(item.value ?? "")' in '\(Self.redacted(url))': give 1 to 3600 seconds")
                }
                timeout = .seconds(seconds)
            default:
                throw EventLogError(.invalidArgument, "unknown parameter '\(item.name)' in '\(Self.redacted(url))': the parameters are schema, sslmode and timeout")
            }
        }
        try validateSchema()
    }

    /// The URL without its password: what messages and exports show.
    public var location: String {
        var text = "postgres://\(username)@\(host):\(port)/\(database)"
        if schema != "ticketledger" { text += "?schema=\(schema)" }
        return text
    }

    /// How long connecting may take.
    var connectTimeout: Duration { min(timeout, .seconds(10)) }

    func validateSchema() throws {
        let allowed = schema.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        guard !schema.isEmpty, schema.utf8.count <= 48, allowed, !(0x30...0x39).contains(schema.utf8.first!) else {
            throw EventLogError(.invalidArgument, "schema '\(schema)': use 1 to 48 lowercase letters, digits and '_', not starting with a digit")
        }
    }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
