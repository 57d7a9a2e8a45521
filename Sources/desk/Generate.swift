import ArgumentParser
import EventLog
import TicketLedger

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill a ledger with simulated, realistic service-desk traffic (reproducible by seed).")

    @OptionGroup var options: LedgerOptions

    @Option(help: "Tickets to register.")
    var tickets = 2_000

    @Option(help: "The seed; the same seed gives the same events (a byte-identical ledger with --personal-data-in-clear: sealing keys are random).")
    var seed: UInt64 = 1

    @Option(help: "Days the traffic spans, from 2024-01-01.")
    var days = 90

    @Flag(help: "Plant no problem areas (a control ledger).")
    var noPlants = false

    @OptionGroup var sealing: SealingFlags

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        try validateSimulation(tickets: tickets, days: days)
    }

    func run() throws {
        let path = try options.path()
        var configuration = DeskSimulator.Configuration(seed: seed, tickets: tickets, days: days, plantProblems: !noPlants)
        configuration.batchSize = 4_096
        let outcome = try simulate(configuration, into: path, options: options, inClear: sealing.inClear)
        if json {
            struct Area: Encodable { let kind, dimension, key, from, to: String; let members: [String]; let description: String }
            struct Output: Encodable { let tickets, problems, events: Int; let chainHead: String; let planted: [Area] }
            printJSON(Output(
                tickets: outcome.tickets, problems: outcome.problems, events: outcome.events, chainHead: outcome.head.hashHex,
                planted: outcome.planted.map {
                    Area(kind: $0.kind.rawValue, dimension: $0.dimension, key: $0.key, from: $0.from.description, to: $0.to.description, members: $0.members, description: $0.description)
                }))
        } else {
            print("Generated \(outcome.tickets) tickets and \(outcome.problems) problem(s): \(outcome.events) events in \(path)")
            print("Chain head \(outcome.head.hashHex)")
            for area in outcome.planted {
                print("Planted: \(area.description) [\(area.dimension) \(area.key)]")
            }
        }
    }
}
