import Dispatch
import EventLog
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// One connection to the server, opened again when it was lost, with a bound on
/// every wait: what a restarted server, a cut network or a stalled statement
/// costs a caller is an ``EventLogError/Code/unavailable`` error within
/// ``PostgresLedgerConfiguration/timeout``, never a hang.
///
/// The server enforces the same bound (`statement_timeout`, `lock_timeout`),
/// so a waiting statement ends there too; the client's bound, a little longer,
/// covers a server that no longer answers at all.
final class ServerConnection: Sendable {
    let configuration: PostgresLedgerConfiguration
    let id: Int
    let logger: Logger
    private let current = Mutex<PostgresConnection?>(nil)

    init(configuration: PostgresLedgerConfiguration, id: Int, logger: Logger) {
        self.configuration = configuration
        self.id = id
        self.logger = logger
    }

    var location: String { configuration.location }

    /// The open connection, connecting first when there is none or it was lost.
    /// Callers that need one meanwhile wait for the same connection.
    func connection() throws -> PostgresConnection {
        try current.withLock { current in
            if let open = current, !open.isClosed { return open }
            if let stale = current { stale.closeInBackground() }
            current = nil
            let opened = try Self.wait(Self.open(configuration, id: id, logger: logger), "connecting", location: location, bound: configuration.connectTimeout + .seconds(1))
            current = opened
            return opened
        }
    }

    /// Sends `query` and waits for all its rows. A lost connection is opened again
    /// and the query sent once more when `retry` (reads, which change nothing).
    func query(_ query: PostgresQuery, _ what: String, retry: Bool = true) throws -> PostgresQueryResult {
        let connection = try connection()
        do {
            return try wait(connection.query(query, logger: logger), what, on: connection)
        } catch let error as EventLogError where retry && error.code == .unavailable && connection.isClosed {
            // A connection from before a server restart: one more try on a new one.
            let fresh = try self.connection()
            return try wait(fresh.query(query, logger: logger), what, on: fresh)
        }
    }

    /// Waits for `future`, an answer of `connection`, at most the configured
    /// timeout and a margin. No answer in time, or a failed connection, closes
    /// the connection (the next call connects again).
    func wait<T: Sendable>(_ future: EventLoopFuture<T>, _ what: String, on connection: PostgresConnection) throws -> T {
        do {
            return try Self.wait(future, what, location: location, bound: configuration.timeout + .seconds(2))
        } catch let error as EventLogError {
            if error.code == .unavailable || connection.isClosed { discard(connection) }
            throw error
        }
    }

    /// Closes `connection` without waiting, and forgets it if it is the current one.
    func discard(_ connection: PostgresConnection) {
        current.withLock { if $0 === connection { $0 = nil } }
        connection.closeInBackground()
    }

    /// Closes the connection, waiting a bounded time for the server to see it.
    func close() {
        guard let connection = current.withLock({ current in defer { current = nil }; return current }) else { return }
        connection.closeInBackground()
        _ = try? Self.wait(connection.closeFuture, "closing", location: location, bound: .seconds(5))
    }

    /// Waits for `future` on the calling thread (SwiftNIO answers on its own
    /// threads), at most `bound`.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, _ what: String, location: String, bound: Duration) throws -> T {
        let answered = DispatchSemaphore(value: 0)
        let outcome = Outcome<T>()
        future.whenComplete { result in
            outcome.result.withLock { $0 = result }
            answered.signal()
        }
        guard answered.wait(timeout: .after(bound)) == .success else {
            throw EventLogError(.unavailable, "\(what) at '\(location)' failed: no answer from the server within \(bound)")
        }
        switch outcome.result.withLock({ $0! }) {
        case .success(let value): return value
        case .failure(let error): throw PostgresEventLog.mapError(error, what, location: location)
        }
    }

    private final class Outcome<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
    }

    /// Starts connecting. The session's `statement_timeout` and `lock_timeout`
    /// are the configured timeout, and a transaction left idle (a client gone
    /// silent while holding the append lock) is ended after twice that.
    static func open(_ configuration: PostgresLedgerConfiguration, id: Int, logger: Logger) throws -> EventLoopFuture<PostgresConnection> {
        let tls: PostgresConnection.Configuration.TLS
        switch configuration.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var connection = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls)
        connection.options.connectTimeout = .nanoseconds(Int64(configuration.connectTimeout.components.seconds) * 1_000_000_000)
        let milliseconds = configuration.timeout.components.seconds * 1000 + configuration.timeout.components.attoseconds / 1_000_000_000_000_000
        connection.options.additionalStartupParameters = [
            ("application_name", "TicketLedger"),
            ("statement_timeout", String(milliseconds)),
            ("lock_timeout", String(milliseconds)),
            ("idle_in_transaction_session_timeout", String(2 * milliseconds)),
        ]
        return PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: connection, id: id, logger: logger)
    }
}

extension PostgresConnection {
    /// Starts closing without waiting, and keeps the connection alive until it is
    /// closed (PostgresNIO requires a connection to be closed before it is freed,
    /// and its own callbacks may hold the last reference while it closes).
    func closeInBackground() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}

extension DispatchTime {
    /// `duration` from now.
    static func after(_ duration: Duration) -> DispatchTime {
        let (seconds, attoseconds) = duration.components
        return .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
