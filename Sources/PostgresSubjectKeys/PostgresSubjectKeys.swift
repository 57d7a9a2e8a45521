public import PostgresEventLog
public import TicketLedger

/// A `SubjectKeyStorage` (module TicketLedger) in the `subject_keys` table of a
/// PostgreSQL ledger's schema, for the hosts that share the ledger: one store
/// for all of them. The table is beside the log's tables, not in the log: its
/// rows are deleted, and the table is then rewritten (`VACUUM FULL`) so that a
/// removed key stays in none of its files. (The server's write-ahead log keeps
/// the rows written until it is recycled, and a base backup keeps what it
/// copied: expire both as the key store's backups.)
///
/// ```swift
/// let log = try PostgresEventLog(url: url)
/// let keys = try SubjectKeyDirectory(storage: PostgresSubjectKeyTable(log: log), create: true)
/// let desk = Desk(log: log, personalData: PersonalData(keys: keys))
/// ```
public struct PostgresSubjectKeyTable: SubjectKeyStorage {
    /// The ledger whose schema holds the table.
    public let log: PostgresEventLog

    /// The table of `log`'s schema.
    public init(log: PostgresEventLog) { self.log = log }

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

    public func remove(_ name: String) throws(DeskError) {
        try mapped { try log.removeKeyRecord(name) }
    }

    private func mapped<T>(_ body: () throws -> T) throws(DeskError) -> T {
        do {
            return try body()
        } catch {
            throw DeskError(.storage, "the subject key table of \(log.location)", underlying: "\(error)")
        }
    }
}
