import ArgumentParser
import EventLog
import Foundation
#if PostgreSQL
import PostgresEventLog
import PostgresSubjectKeys
#endif
import TicketLedger

/// The choice a command that may create a ledger offers.
struct SealingFlags: ParsableArguments {
    @Flag(name: .customLong("personal-data-in-clear"), help: ArgumentHelp(
        "Make a new ledger that keeps personal data in clear (it can then never be forgotten); by default a new ledger seals it per caller, with keys in the key store (--keys)."))
    var inClear = false
}

extension LedgerOptions {
    /// Where the subject keys of `log` are: `--keys FOLDER`, else `DESK_KEYS`,
    /// else for an LMDB ledger its folder with `.keys` appended, and for a
    /// PostgreSQL ledger the `subject_keys` table of its schema.
    func keyStorage(for log: any EventStore, purgeTimeout: Duration = .seconds(60)) throws -> any SubjectKeyStorage {
        if let keys { return SubjectKeyFolder(path: keys) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DESK_KEYS"], !fromEnvironment.isEmpty {
            return SubjectKeyFolder(path: fromEnvironment)
        }
        #if PostgreSQL
        if let postgres = log as? PostgresEventLog { return PostgresSubjectKeyTable(log: postgres, purgeTimeout: purgeTimeout) }
        #endif
        var folder = try path()
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        return SubjectKeyFolder(path: folder + ".keys")
    }

    /// How a command that writes tickets seals them: with the key store when
    /// the ledger records that it seals; a new (empty) ledger is made to seal,
    /// its key store made, unless `inClear`. `nil`: the ledger keeps personal data in clear.
    func personalDataForWriting(_ log: any EventStore, inClear: Bool, purgeTimeout: Duration = .seconds(60)) throws -> PersonalData? {
        let storage = try keyStorage(for: log, purgeTimeout: purgeTimeout)
        if try PersonalData.isRequired(by: log) {
            guard try storage.read("index") != nil else {
                throw DeskFailure("\(log.location) seals personal data, but its key store \(storage.location) is missing: without it nothing can be written (and what was sealed cannot be read); restore it from its backup or give it with --keys")
            }
            return PersonalData(keys: try SubjectKeyDirectory(storage: storage))
        }
        guard try log.lastPosition() == 0, !inClear else { return nil }
        let keys = try SubjectKeyDirectory(storage: storage, create: true)
        try PersonalData.markProtected(log, by: ActorRef(.system, "desk"))
        return PersonalData(keys: keys)
    }

    /// What reveals the sealed fields a command shows: the key store when there
    /// is one; when the ledger seals and its store is missing, a note on stderr
    /// and sealed fields shown as `[sealed …]`. `nil` for a ledger in clear.
    func personalDataForReading(_ log: any EventStore) throws -> PersonalData? {
        let storage = try keyStorage(for: log)
        if try storage.read("index") != nil { return PersonalData(keys: try SubjectKeyDirectory(storage: storage)) }
        guard try PersonalData.isRequired(by: log) else { return nil }
        note("the key store of \(log.location) (\(storage.location)) is missing: its sealed personal fields are shown as [sealed …]")
        return PersonalData(keys: UnavailableKeyStore(reason: "the key store \(storage.location) is missing"))
    }
}

/// Prints `text` on stderr as a note.
func note(_ text: String) {
    FileHandle.standardError.write(Data("desk: note: \(text)\n".utf8))
}

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forget a data subject (a caller): destroy its key, so its personal data reads as erased everywhere.",
        discussion: """
            The subject's key is deleted from the key store and the ledger records that it was (a SubjectForgotten
            event in $desk, which names only the subject's random identifier). The records are not changed: the
            chain, the Merkle tree, checkpoints and exports made before still verify. KPIs, problem areas and flows
            do not change; the caller's name, titles, comments, notes and reasons read as [erased <subject>] from
            then on, in every command and export. A backup of the key store made before brings the key back:
            expire such backups.
            """)

    @OptionGroup var options: LedgerOptions

    @Argument(help: "The caller's name as registered (or, with --id, the subject's identifier as erased fields and SubjectForgotten show it).")
    var subject: String

    @Flag(help: "SUBJECT is the subject's 16-digit identifier, not a name.")
    var id = false

    @Option(help: "With a PostgreSQL ledger: the seconds to wait for the transactions begun before the key's deletion (which may still read it) to end, so that the key table is rewritten without it.")
    var wait: Double = 60

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        guard wait >= 0, wait.isFinite else { throw ValidationError("--wait takes a number of seconds, not \(wait)") }
    }

    func run() throws {
        let log = try openLedger(try options.path(), access: .readWrite, createIfMissing: false)
        defer { log.close() }
        guard try PersonalData.isRequired(by: log) else {
            throw DeskFailure("\(log.location) keeps personal data in clear, so nothing can be forgotten by destroying a key; copy it into a ledger that seals (desk copy --seal) and retire this one")
        }
        guard let personalData = try options.personalDataForWriting(log, inClear: false, purgeTimeout: .seconds(wait)) else { return }
        func noKey() throws -> DeskFailure {
            DeskFailure("the key store \(try options.keyStorage(for: log).location) holds no key for \(id ? "subject " : "")'\(subject)' (never a caller here, or forgotten already)")
        }
        let identifier: SubjectID?
        if id {
            guard let hex = SubjectID(hex: subject) else { throw ValidationError("--id takes the 16 hexadecimal digits of a subject, not '\(subject)'") }
            identifier = hex
        } else {
            identifier = try personalData.keys.subject(named: subject)
        }
        guard let forgotten = identifier else { throw try noKey() }
        do {
            guard try personalData.forget(forgotten) else { throw try noKey() }
        } catch let error as DeskError {
            // A store that deletes the key but cannot finish (PostgreSQL still
            // holding its bytes for an open transaction) fails after the key is
            // gone: the ledger records the forgetting all the same.
            if (try? personalData.keys.key(for: forgotten) == nil) == true {
                try PersonalData.recordForgotten(forgotten, in: log, by: ActorRef(.system, "desk forget"))
                throw DeskFailure("forgot subject \(forgotten) (its personal data reads as [erased \(forgotten.short)]; recorded at position \(try log.lastPosition())), but the key store could not finish: \(error)")
            }
            throw error
        }
        try PersonalData.recordForgotten(forgotten, in: log, by: ActorRef(.system, "desk forget"))
        if json {
            struct Output: Encodable { let subject: String; let recordedAt: UInt64 }
            printJSON(Output(subject: forgotten.description, recordedAt: try log.lastPosition()))
        } else {
            print("Forgot subject \(forgotten): its key is destroyed, its personal data reads as [erased \(forgotten.short)]; recorded at position \(try log.lastPosition())")
        }
    }
}
