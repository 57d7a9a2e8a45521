import EventLog
import Foundation
import Projections
import Testing
import TicketLedger
import TicketLedgerTesting

/// Everything a projector shows, as one comparable value.
struct Views: Equatable {
    var metrics: MetricsReport
    var queues: QueueReport
    var sla: [TicketSLA]

    init(_ projector: DeskProjector, now: Timestamp) {
        metrics = projector.metrics(now: now)
        queues = projector.queues(now: now)
        sla = projector.slaStatuses(now: now)
    }
}

func simulatedLedger(_ path: String, seed: UInt64, tickets: Int = 600, days: Int = 40) throws -> DeskSimulator.Outcome {
    try DeskSimulator(configuration: DeskSimulator.Configuration(seed: seed, tickets: tickets, days: days)).generate(at: path)
}

@Suite("Replay properties on simulated ledgers")
struct ReplayPropertyTests {
    @Test("replay to N equals following the log to N", arguments: [UInt64(1), 2, 3])
    func replayEqualsFollow(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let outcome = try simulatedLedger(path + "/ledger", seed: seed)
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            var random = SeededGenerator(seed: seed)
            let n = 1 + random.next() % UInt64(outcome.events)
            let options = ProjectionOptions(asOfPosition: n, groupBy: .group)
            let replayed = try ProjectionEngine.replay(log, options: options)
            var followed = DeskProjector(options: options)
            for try await event in log.subscribe(from: 1) {
                try followed.apply(event)
                if event.position == n { break }
            }
            #expect(replayed.position == n)
            let now = replayed.lastEventTime!
            #expect(Views(replayed, now: now) == Views(followed, now: now))
        }
    }

    @Test("a snapshot plus the rest equals a full replay", arguments: [UInt64(4), 5])
    func snapshotPlusRest(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let outcome = try simulatedLedger(path + "/ledger", seed: seed)
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            var random = SeededGenerator(seed: seed)
            let n = 1 + random.next() % UInt64(outcome.events - 1)
            let options = ProjectionOptions(groupBy: .service)
            let full = try ProjectionEngine.replay(log, options: options)
            // Up to N, through the snapshot file, then on.
            let store = SnapshotStore(directory: path + "/snapshots")
            var upToN = DeskProjector(options: options)
            try log.forEachRecord(from: 1, limit: Int(n)) { try upToN.apply($0) }
            try store.save(upToN, log: log)
            let loaded = try #require(store.load(options: options, log: log))
            #expect(loaded.position == n)
            let resumed = try ProjectionEngine.replay(log, options: options, from: loaded)
            // A snapshot that cannot be put in place is an error, and leaves no temporary file.
            let file = try #require(try FileManager.default.contentsOfDirectory(atPath: path + "/snapshots").first)
            try FileManager.default.removeItem(atPath: path + "/snapshots/" + file)
            try FileManager.default.createDirectory(atPath: path + "/snapshots/" + file + "/in-the-way", withIntermediateDirectories: true)
            #expect(throws: DeskError.self) { try store.save(full, log: log) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/snapshots") == [file])
            // A snapshot made with other options is refused, not misread and not a crash.
            #expect(throws: DeskError.self) { _ = try ProjectionEngine.replay(log, options: ProjectionOptions(groupBy: .group), from: loaded) }
            let now = full.lastEventTime!
            #expect(Views(resumed, now: now) == Views(full, now: now))
            #expect(try encoded(resumed) == encoded(full))
        }
    }

    @Test("as of time T equals replaying only the events that occurred by T", arguments: [UInt64(6), 7])
    func asOfTime(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let outcome = try simulatedLedger(path + "/ledger", seed: seed)
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            var random = SeededGenerator(seed: seed)
            let span = outcome.lastEventAt!.microseconds - outcome.firstEventAt!.microseconds
            let t = Timestamp(microseconds: outcome.firstEventAt!.microseconds + Int64(random.unit() * Double(span)))
            let asOf = try ProjectionEngine.replay(log, options: ProjectionOptions(asOf: t, groupBy: .priority))
            // The same events, copied into a ledger of their own.
            let copy = try EventLog(path: path + "/copy", configuration: EventLogConfiguration(durability: .buffered))
            defer { copy.close() }
            var kept: [ProposedEvent] = []
            var streams: [String] = []
            try log.forEachRecord(from: 1) { record in
                guard record.occurredAt <= t else { return }
                kept.append(record.materialize().event)
                streams.append(record.streamID)
            }
            for (event, stream) in zip(kept, streams) {
                _ = try copy.append([event], to: stream)
            }
            let filtered = try ProjectionEngine.replay(copy, options: ProjectionOptions(asOf: t, groupBy: .priority))
            #expect(Views(asOf, now: t) == Views(filtered, now: t))
        }
    }

    @Test("replaying the same ledger twice gives byte-identical output")
    func deterministic() async throws {
        try await withTemporaryDirectory { path in
            _ = try simulatedLedger(path + "/ledger", seed: 9)
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            let options = ProjectionOptions(groupBy: .ci)
            let first = try ProjectionEngine.replay(log, options: options)
            let second = try ProjectionEngine.replay(log, options: options)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            #expect(try encoder.encode(first.metrics()) == encoder.encode(second.metrics()))
            #expect(try encoder.encode(first.queues()) == encoder.encode(second.queues()))
            #expect(try encoded(first) == encoded(second))
        }
    }

    @Test("a snapshot of another ledger or other options is ignored, not misread")
    func snapshotGuards() async throws {
        try await withTemporaryDirectory { path in
            _ = try simulatedLedger(path + "/a", seed: 1, tickets: 100, days: 10)
            _ = try simulatedLedger(path + "/b", seed: 2, tickets: 100, days: 10)
            let a = try EventLog(path: path + "/a", configuration: EventLogConfiguration(access: .readOnly))
            let b = try EventLog(path: path + "/b", configuration: EventLogConfiguration(access: .readOnly))
            defer { a.close(); b.close() }
            let store = SnapshotStore(directory: path + "/snapshots")
            try store.save(try ProjectionEngine.replay(a), log: a)
            #expect(store.load(options: ProjectionOptions(), log: a) != nil)
            #expect(store.load(options: ProjectionOptions(), log: b) == nil)
            #expect(store.load(options: ProjectionOptions(groupBy: .agent), log: a) == nil)
        }
    }
}

func encoded(_ projector: DeskProjector) throws -> Data {
    try projector.snapshotData()
}

