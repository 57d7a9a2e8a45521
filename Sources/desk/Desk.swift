import ArgumentParser
import EventLog
import Foundation
import PostgresEventLog

@main
struct DeskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desk",
        abstract: "TicketLedger: an ITIL service desk on an append-only, hash-chained event log.",
        subcommands: [Init.self, Generate.self, Import.self, Stats.self, Verify.self, Replay.self, Queues.self, Metrics.self, Problems.self, Flow.self, History.self, Tail.self, Export.self, Report.self, Copy.self, Keygen.self, MakeCheckpoint.self, Demo.self]
    )

    static func main() async {
        reportMappedFileFaults()
        await main(nil)
    }
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
func openLedger(_ location: String, access: EventLogConfiguration.AccessMode, durability: EventLogConfiguration.Durability = .durable) throws -> any EventStore {
    try openEventStore(at: location, configuration: EventLogConfiguration(access: access, durability: durability))
}

/// Prints `value` as one JSON document with sorted keys (stable output).
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}
