public import EventLog
import PostgresEventLog
public import Testing
import TicketLedgerTesting

// The two ledger backends, for tests that run on both (not a product: the
// package's own tests use it).

/// The ledger backends the conformance tests run on.
public enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case lmdb
    case postgres

    public var testDescription: String { rawValue }
}

/// Runs `body` with the location of a fresh, empty ledger of `backend` (a folder
/// path, or a URL naming a new schema). Without a PostgreSQL server the test is
/// cancelled with the reason, unless the environment requires the server.
public func withFreshLedger<T>(_ backend: Backend, _ body: (String) async throws -> T) async throws -> T {
    switch backend {
    case .lmdb:
        return try await withTemporaryDirectory { path in try await body(path + "/ledger") }
    case .postgres:
        guard let url = PostgresTestServer.freshLedgerURL() else {
            let reason = PostgresTestServer.unavailableReason ?? "no PostgreSQL server"
            if PostgresTestServer.isRequired {
                Issue.record("TICKETLEDGER_REQUIRE_POSTGRES is set but \(reason)")
                throw CancellationError()
            }
            try Test.cancel(Comment(rawValue: reason))
        }
        return try await body(url)
    }
}

/// Opens the ledger at `location` with the backend its form names.
public func openLedger(
    _ location: String, access: EventLogConfiguration.AccessMode = .readWrite, durability: EventLogConfiguration.Durability = .durable
) throws -> any EventStore {
    var configuration = EventLogConfiguration(access: access, durability: durability)
    configuration.pollInterval = .milliseconds(10)
    return try openEventStore(at: location, configuration: configuration)
}

/// A change to a stored record's bytes.
public enum Tamper {
    case flip(offset: Int)
    case dropLastByte
    case appendZeroByte
}

/// Changes the stored bytes of the record at `position`, behind the ledger's back.
public func tamper(_ location: String, position: UInt64, _ change: Tamper) throws {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        let log = try PostgresEventLog(url: location)
        defer { log.close() }
        let table = log.eventsTable
        let value =
            switch change {
            case .flip(let offset): "set_byte(record, \(offset), get_byte(record, \(offset)) # 255)"
            case .dropLastByte: "substring(record FROM 1 FOR octet_length(record) - 1)"
            case .appendZeroByte: "record || '\\x00'::bytea"
            }
        try log.execute(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER append_only")
        try log.execute(unsafeSQL: "UPDATE \(table) SET record = \(value) WHERE position = \(position)")
        try log.execute(unsafeSQL: "ALTER TABLE \(table) ENABLE TRIGGER append_only")
    } else {
        try rewriteRecord(ledger: location, position: position) { bytes in
            switch change {
            case .flip(let offset): bytes[offset] ^= 0xFF
            case .dropLastByte: bytes.removeLast()
            case .appendZeroByte: bytes.append(0)
            }
        }
    }
}


/// Runs `body` with a fresh, open ledger of `backend` (LMDB buffered: tests
/// rarely need every commit on disk), closed afterwards.
public func withLedger<T>(_ backend: Backend, _ body: (any EventStore) async throws -> T) async throws -> T {
    try await withFreshLedger(backend) { location in
        let log = try openLedger(location, durability: .buffered)
        defer { log.close() }
        return try await body(log)
    }
}

/// Removes the proof index of the (closed) ledger at `location`, so that it
/// looks as a version before 0.3 wrote it: for tests of the upgrade.
public func removeProofIndex(_ location: String) throws {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        let log = try PostgresEventLog(url: location, access: .readOnly)
        defer { log.close() }
        try log.execute(unsafeSQL: "DROP TABLE \(log.schemaName(of: "tree")), \(log.schemaName(of: "histories"))")
    } else {
        try dropProofIndex(ledger: location)
    }
}

/// A part of the proof index to change behind the ledger's back.
public enum ProofIndexEntry: Sendable {
    /// The history stored with the record at this position.
    case history(position: UInt64)
    /// The tree node at this level and index.
    case node(level: Int, index: UInt64)
}

/// Flips a bit of a stored proof index entry of the (closed) ledger at `location`.
public func tamperProofIndex(_ location: String, _ entry: ProofIndexEntry) throws {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        let log = try PostgresEventLog(url: location, access: .readOnly)
        defer { log.close() }
        let (table, column, condition) =
            switch entry {
            case .history(let position): (log.schemaName(of: "histories"), "history", "position = \(position)")
            case .node(let level, let index): (log.schemaName(of: "tree"), "hash", "level = \(level) AND idx = \(index)")
            }
        try log.execute(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER append_only")
        try log.execute(unsafeSQL: "UPDATE \(table) SET \(column) = set_byte(\(column), 31, get_byte(\(column), 31) # 1) WHERE \(condition)")
        try log.execute(unsafeSQL: "ALTER TABLE \(table) ENABLE TRIGGER append_only")
    } else {
        switch entry {
        case .history(let position):
            try rewriteProofIndex(ledger: location, database: "histories", key: withUnsafeBytes(of: position.bigEndian) { Array($0) }) { $0[39] ^= 1 }
        case .node(let level, let index):
            try rewriteProofIndex(ledger: location, database: "tree", key: [UInt8(level)] + withUnsafeBytes(of: index.bigEndian) { Array($0) }) { $0[31] ^= 1 }
        }
    }
}
