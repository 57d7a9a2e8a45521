import ArgumentParser
import EventLog
import Foundation
import TicketLedger

/// The choice a command that may create a ledger offers.
struct SealingFlags: ParsableArguments {
    @Flag(name: .customLong("personal-data-in-clear"), help: ArgumentHelp(
        "Make a new ledger that keeps personal data in clear (it can then never be forgotten); by default a new ledger seals it per caller, with keys in the key store (--keys)."))
    var inClear = false
}

extension LedgerOptions {
    /// The subject key store's folder: `--keys`, else `DESK_KEYS`, else for an
    /// LMDB ledger its folder with `.keys` appended; nil for a PostgreSQL ledger without either.
    func keyStorePath() throws -> String? {
        if let keys { return keys }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DESK_KEYS"], !fromEnvironment.isEmpty { return fromEnvironment }
        let location = try path()
        guard !LedgerLocation.isPostgresURL(location) else { return nil }
        var folder = location
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        return folder + ".keys"
    }

    /// How a command that writes tickets seals them: with the key store when
    /// the ledger records that it seals; a new (empty) ledger is made to seal,
    /// its key store made, unless `inClear`. `nil`: the ledger keeps personal data in clear.
    func personalDataForWriting(_ log: any EventStore, inClear: Bool) throws -> PersonalData? {
        if try PersonalData.isRequired(by: log) {
            guard let path = try keyStorePath() else {
                throw DeskFailure("\(log.location) seals personal data: give its key store with --keys (or DESK_KEYS)")
            }
            guard FileManager.default.fileExists(atPath: path + "/index.key") else {
                throw DeskFailure("\(log.location) seals personal data, but its key store \(path) is missing: without it nothing can be written (and what was sealed cannot be read); restore it from its backup or give it with --keys")
            }
            return PersonalData(keys: try SubjectKeyDirectory(path: path))
        }
        guard try log.lastPosition() == 0, !inClear else { return nil }
        guard let path = try keyStorePath() else {
            note("\(log.location) is a new PostgreSQL ledger and no key store was given (--keys): its personal data is kept in clear")
            return nil
        }
        let keys = try SubjectKeyDirectory(path: path, create: true)
        try PersonalData.markProtected(log, by: ActorRef(.system, "desk"))
        return PersonalData(keys: keys)
    }

    /// What reveals the sealed fields a command shows: the key store when there
    /// is one; when the ledger seals and its store is missing, a note on stderr
    /// and sealed fields shown as `[sealed …]`. `nil` for a ledger in clear.
    func personalDataForReading(_ log: any EventStore) throws -> PersonalData? {
        let path = try keyStorePath()
        if let path, let keys = try? SubjectKeyDirectory(path: path) { return PersonalData(keys: keys) }
        guard try PersonalData.isRequired(by: log) else { return nil }
        note("the key store of \(log.location) (\(path ?? "none given: --keys")) is missing: its sealed personal fields are shown as [sealed …]")
        return PersonalData(keys: UnavailableKeyStore(reason: "the key store \(path ?? "") is missing"))
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

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        let log = try openLedger(try options.path(), access: .readWrite, createIfMissing: false)
        defer { log.close() }
        guard try PersonalData.isRequired(by: log) else {
            throw DeskFailure("\(log.location) keeps personal data in clear, so nothing can be forgotten by destroying a key; copy it into a ledger that seals (desk copy --seal) and retire this one")
        }
        guard let personalData = try options.personalDataForWriting(log, inClear: false) else { return }
        let forgotten: SubjectID?
        if id {
            guard let identifier = SubjectID(hex: subject) else { throw ValidationError("--id takes the 16 hexadecimal digits of a subject, not '\(subject)'") }
            forgotten = try personalData.forget(identifier) ? identifier : nil
        } else {
            forgotten = try personalData.forget(named: subject)
        }
        guard let forgotten else {
            throw DeskFailure("the key store \(try options.keyStorePath() ?? "") holds no key for \(id ? "subject " : "")'\(subject)' (never a caller here, or forgotten already)")
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
