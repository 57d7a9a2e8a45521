import ArgumentParser
import EventLog
import Projections

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save the projection snapshots that queues, metrics, replay and problems start from (with their default options), in the ledger.",
        discussion: """
            Each of those commands (and report) saves its snapshot itself on its first run, and again \
            after \(snapshotRefresh) new events; this makes them all in one pass, for example after an \
            import. A snapshot is kept beside the log, not in it: it is replaced by the next one and is \
            not covered by the chain or the proofs. Their output is the same, byte for byte, with or \
            without a snapshot (--no-snapshot replays the whole ledger).
            """)

    @OptionGroup var options: LedgerOptions

    func run() throws {
        let location = try options.path()
        let log = try openLedger(location, access: .readWrite, createIfMissing: false)
        defer { log.close() }
        let standard = [Queues.parseOrExit([]).projections(), Replay.parseOrExit([]).projections(), Problems.parseOrExit([]).projections()].flatMap { $0 }
        // Queues and metrics replay into the same projection: each kind once.
        var seen: Set<String> = []
        var projections = SnapshotStore.ledger.load(standard.filter { seen.insert($0.snapshotKey).inserted }, log: log)
        let total = try log.lastPosition()
        let progress = Progress(label: "replaying")
        try ProjectionEngine.catchUp(log, &projections, progress: { progress.update($0, of: total) })
        progress.finish()
        for projection in projections {
            try SnapshotStore.ledger.save(projection, log: log)
            print("\(projection.snapshotKey): position \(projection.position)")
        }
    }
}
