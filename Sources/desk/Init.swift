import ArgumentParser
import EventLog
import TicketLedger

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a ledger, optionally naming the desk and its model.")

    @OptionGroup var options: LedgerOptions

    @Option(help: "The desk's name, recorded as ledger metadata.")
    var name: String?

    @Option(help: "The desk's model: centralised, local or virtual.")
    var model: DeskModel = .centralised

    @OptionGroup var sealing: SealingFlags

    func run() async throws {
        let path = try options.path()
        let log = try options.open(.readWrite)
        defer { log.close() }
        let sealed = try options.personalDataForWriting(log, inClear: sealing.inClear) != nil
        if let name {
            try await Desk(log: log).describe(name: name, model: model, by: ActorRef(.system, "desk init"))
        }
        print("Ledger ready at \(path) (\(try log.lastPosition()) events)\(sealed ? "; personal data sealed, keys in \(try options.keyStorage(for: log).location)" : "; personal data in clear")")
    }
}
