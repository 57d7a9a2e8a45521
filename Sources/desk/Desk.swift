import ArgumentParser
import EventLog
import Foundation
import Logging
#if PostgreSQL
import PostgresEventLog
#endif
import TicketLedger

@main
struct DeskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desk",
        abstract: "TicketLedger: an ITIL service desk on an append-only, hash-chained event log.",
        version: TicketLedgerVersion.current,
        subcommands: [Init.self, Generate.self, Import.self, Forget.self, Stats.self, Verify.self, Replay.self, Queues.self, Metrics.self, Problems.self, Flow.self, History.self, Tail.self, Export.self, Report.self, Copy.self, Keygen.self, MakeCheckpoint.self, Upgrade.self, Snapshot.self, Demo.self]
    )

    /// Usage errors (what the command line says) print the usage and exit 64;
    /// errors of the data or the system (a missing ticket, a malformed row, an
    /// unwritable file) print one line naming what and where, and exit 1.
    static func main() async {
        reportMappedFileFaults()
        bootstrapLogging()
        let arguments = Array(CommandLine.arguments.dropFirst())
        checkHelpTopic(arguments)
        let command = parsed(arguments)
        do {
            try await run(command)
        } catch {
            fail(error)
        }
    }

    /// The library's log lines go to standard error from `warning` up (what
    /// desk itself says is on standard output or in its error line), or from
    /// the level `DESK_LOG_LEVEL` names (`trace` … `critical`).
    static func bootstrapLogging() {
        let named = ProcessInfo.processInfo.environment["DESK_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = named ?? .warning
            return handler
        }
    }

    /// `desk help NAME` with a NAME that is no command is a usage error.
    private static func checkHelpTopic(_ arguments: [String]) {
        guard arguments.first == "help", let name = arguments.dropFirst().first else { return }
        let names = configuration.subcommands.map { commandName($0) }
        if !names.contains(name) {
            exit(withError: ValidationError("no command \(name); the commands: \(names.joined(separator: ", "))"))
        }
    }

    private static func commandName<C: ParsableCommand>(_ command: C.Type) -> String { C._commandName }

    /// Exits for an error a command threw: usage errors with the usage, others with one line.
    private static func fail(_ error: any Error) -> Never {
        // ArgumentParser's own errors (`desk help X` runs a command that throws one) keep its handling.
        if error is ValidationError || error is ExitCode || error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(withError: error)
        }
        // On a terminal, a progress line may be showing: the message replaces it.
        let clear = isatty(2) == 1 ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data("\(clear)desk: \(describe(error))\n".utf8))
        Foundation.exit(1)
    }

    /// The command the arguments name; a usage error exits here (usage, status 64).
    private static func parsed(_ arguments: [String]) -> any ParsableCommand {
        do {
            return try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
    }

    private static func run(_ command: any ParsableCommand) async throws {
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            var command = command
            try command.run()
        }
    }
}

/// One line for an error of the data or the system.
func describe(_ error: any Error) -> String {
    if let error = error as? CocoaError {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.userInfo[NSURLErrorKey].map { "\($0)" }
        let underlying = error.userInfo[NSUnderlyingErrorKey].flatMap { $0 as? any Error }.map { $0 as NSError }
        let reason = underlying.flatMap { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : nil }
        return [path.map { "\($0): " } ?? "", reason ?? error.localizedDescription].joined()
    }
    return String(describing: error)
}

/// A ledger file that is cut short or overwritten while it is mapped makes the
/// next read of it fault (SIGBUS, or SIGSEGV on a damaged page pointer). `desk`
/// says so and exits with status 1 instead of dying by the signal. (The library
/// itself checks a file against its meta pages before mapping it, and leaves
/// signal handling to the program that embeds it.)
func reportMappedFileFaults() {
    for signal in [SIGBUS, SIGSEGV] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            // Only async-signal-safe calls here: a static string, write, _exit.
            let text: StaticString = "desk: a ledger file could not be read where it is mapped: it is damaged, or was cut short while in use; stopping\n"
            _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
            _exit(1)
        }
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }
}

/// The ledger option every command shares.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The ledger: a folder (LMDB) or a postgres://USER@HOST:PORT/DATABASE[?schema=NAME] URL (or set DESK_LEDGER).",
        valueName: "path|url"))
    var ledger: String?

    @Option(name: .long, help: ArgumentHelp(
        "The subject key store of a ledger that seals personal data (or set DESK_KEYS); default: the ledger's folder with .keys appended.",
        valueName: "folder"))
    var keys: String?

    func path(default fallback: String? = nil) throws -> String {
        if let ledger { return ledger }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DESK_LEDGER"], !fromEnvironment.isEmpty { return fromEnvironment }
        if let fallback { return fallback }
        throw ValidationError("no ledger given: pass --ledger PATH or set DESK_LEDGER")
    }

    /// Opens the ledger with the backend its location names.
    func open(_ access: EventLogConfiguration.AccessMode, durability: EventLogConfiguration.Durability = .durable, default fallback: String? = nil) throws -> any EventStore {
        try openLedger(try path(default: fallback), access: access, durability: durability)
    }
}

/// Opens the ledger at `location`: a `postgres://` URL is a PostgreSQL ledger,
/// anything else an LMDB folder. `durability` applies to LMDB (PostgreSQL's is the server's).
func openLedger(
    _ location: String, access: EventLogConfiguration.AccessMode, durability: EventLogConfiguration.Durability = .durable, createIfMissing: Bool = true
) throws -> any EventStore {
    var configuration = EventLogConfiguration(access: access, durability: durability)
    configuration.createIfMissing = createIfMissing
    #if PostgreSQL
    return try openEventStore(at: location, configuration: configuration)
    #else
    if LedgerLocation.isPostgresURL(location) { throw builtWithoutPostgreSQL(location) }
    return try EventLog(path: location, configuration: configuration)
    #endif
}

/// The error for a `postgres://` location in a `desk` built without the
/// PostgreSQL backend (the package's trait `PostgreSQL` off), which would
/// otherwise make a folder of that name.
func builtWithoutPostgreSQL(_ location: String) -> DeskFailure {
    DeskFailure("'\(location)' is a PostgreSQL ledger, and this desk was built without PostgreSQL (build it with the package's default traits)")
}

/// The version of the JSON documents `desk ... --json` prints (the `schemaVersion`
/// key of each); their JSON Schemas are in `docs/schemas`. It grows when a key is
/// removed, renamed or changes meaning; new keys may appear within a version.
let jsonSchemaVersion = 1

/// Prints `value` as one JSON document with sorted keys and its `schemaVersion`.
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        print(String(decoding: try encoder.encode(Versioned(value: value)), as: UTF8.self))
    } catch {
        // Never a silent "{}": say what could not be written.
        FileHandle.standardError.write(Data("desk: cannot write the JSON output: \(error)\n".utf8))
        Foundation.exit(1)
    }
}

/// A document with the `schemaVersion` key beside the value's own keys.
private struct Versioned<Value: Encodable>: Encodable {
    let value: Value
    enum Key: String, CodingKey { case schemaVersion }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(jsonSchemaVersion, forKey: .schemaVersion)
    }
}
