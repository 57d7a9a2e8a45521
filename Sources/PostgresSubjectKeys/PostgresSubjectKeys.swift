public import PostgresEventLog
public import TicketLedger

/// A `SubjectKeyStorage` (module TicketLedger) in the `subject_keys` table of a
/// PostgreSQL ledger's schema, for the hosts that share the ledger: one store
/// for all of them. The table is beside the log's tables, not in the log: its
/// rows are deleted, and the table is then rewritten (`VACUUM FULL`) so that a
/// removed key stays in none of its files. The rewrite first waits for the
/// transactions that began before the deletion (they may still read the row,
/// so PostgreSQL keeps it) to end, for at most ``purgeTimeout``. (The server's
/// write-ahead log keeps the rows written until it is recycled, and a base
/// backup keeps what it copied: expire both as the key store's backups.)
///
/// ```swift
/// let log = try PostgresEventLog(url: url)
/// let keys = try SubjectKeyDirectory(storage: PostgresSubjectKeyTable(log: log), create: true)
/// let desk = Desk(log: log, personalData: PersonalData(keys: keys))
/// ```
public struct PostgresSubjectKeyTable: SubjectKeyStorage {
    /// The ledger whose schema holds the table.
    public let log: PostgresEventLog

    /// How long a removal waits for the transactions that may still read the
    /// removed row to end before it gives up with an error (the row is then
    /// deleted, but its bytes stay in the table's files until the table is
    /// rewritten again).
    public let purgeTimeout: Duration

    /// The table of `log`'s schema.
    public init(log: PostgresEventLog, purgeTimeout: Duration = .seconds(60)) {
        self.log = log
        self.purgeTimeout = purgeTimeout
    }

    public var location: String { log.location + " (table subject_keys)" }

    public func prepare() throws(DeskError) {
        try mapped { try log.prepareKeyRecords() }
    }

    public func read(_ name: String) throws(DeskError) -> [UInt8]? {
        try mapped { try log.keyRecord(name) }
    }

    public func add(_ name: String, _ bytes: [UInt8]) throws(DeskError) -> Bool {
        try mapped { try log.addKeyRecord(name, bytes) }
    }

    public func replace(_ name: String, _ bytes: [UInt8]) throws(DeskError) {
        try mapped { try log.replaceKeyRecord(name, bytes) }
    }

    public func remove(_ names: [String]) throws(DeskError) {
        try mapped { try log.removeKeyRecords(names, timeout: purgeTimeout) }
    }

    private func mapped<T>(_ body: () throws -> T) throws(DeskError) -> T {
        do {
            return try body()
        } catch {
            throw DeskError(.storage, "the subject key table of \(log.location)", underlying: "\(error)")
        }
    }
}
