import EventLog
import Foundation
import LedgerBackendsTesting
import Projections
import Testing
import TicketLedger
import TicketLedgerTesting

/// An embedder's projection, for the tests: events per actor kind and the
/// streams seen, so that its state depends on every record.
struct EventsPerActorKind: Projection, Codable, Equatable {
    static let name = "events-per-actor-kind"
    static let version = 1
    var configuration: String { "" }
    var position: UInt64 = 0
    var counts: [String: Int] = [:]
    var streams = 0
    var seen: Set<String> = []

    init() {}

    mutating func apply(_ record: RecordView) throws {
        position = record.position
        counts["\(record.actor.kind)", default: 0] += 1
        if seen.insert(record.streamID).inserted { streams += 1 }
    }

    enum CodingKeys: String, CodingKey { case position, counts, streams, seen }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        position = try c.decode(UInt64.self, forKey: .position)
        counts = try c.decode([String: Int].self, forKey: .counts)
        streams = try c.decode(Int.self, forKey: .streams)
        seen = Set(try c.decode([String].self, forKey: .seen))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(position, forKey: .position)
        try c.encode(counts, forKey: .counts)
        try c.encode(streams, forKey: .streams)
        try c.encode(seen.sorted(), forKey: .seen)
    }
}

/// A simulated ledger copied into a fresh ledger of `backend`.
func withSimulatedLedger(_ backend: Backend, seed: UInt64, tickets: Int = 400, days: Int = 30, _ body: (any EventStore, String) async throws -> Void) async throws {
    try await withTemporaryDirectory { path in
        _ = try simulatedLedger(path + "/simulated", seed: seed, tickets: tickets, days: days)
        try await withFreshLedger(backend) { location in
            do {
                let source = try EventLog(path: path + "/simulated", configuration: EventLogConfiguration(access: .readOnly))
                defer { source.close() }
                let log = try openLedger(location)
                defer { log.close() }
                _ = try source.copy(to: log)
            }
            try await body(try openLedger(location), location)
        }
    }
}

/// The standard projections a report feeds, and an embedder's own.
func composedSet() -> [any Projection] {
    var options = ProjectionOptions(groupBy: .group)
    options.problemAreas = ProblemAreaOptions(dimension: .ci)
    return [DeskProjector(options: options), FlowAnalyzer(options: FlowOptions(dimension: .service)), EventsPerActorKind()]
}

func snapshotBytes(_ projections: [any Projection]) throws -> [Data] {
    try projections.map { try $0.snapshotData() }
}

@Suite("Projection snapshots kept in the ledger")
struct ProjectionSnapshotTests {
    @Test("a composed set (desk, flow and an embedder's projection) resumed from snapshots in the ledger, each at its own position, equals one full replay byte for byte, on both backends", arguments: Backend.allCases)
    func composedSetResumes(_ backend: Backend) async throws {
        // 5,000 tickets in 20 days: more tracked at the end than one JSON part of a snapshot holds, and some departed.
        try await withSimulatedLedger(backend, seed: 11, tickets: 5_000, days: 20) { log, _ in
            defer { log.close() }
            let last = try log.lastPosition()
            var full = composedSet()
            try ProjectionEngine.catchUp(log, &full)
            #expect(full.allSatisfy { $0.position == last })
            var random = SeededGenerator(seed: 11)
            for _ in 0..<3 {
                // Each projection saved at a position of its own, then all resumed in one pass.
                let partial = composedSet()
                for index in partial.indices {
                    var one = [partial[index]]
                    try ProjectionEngine.catchUp(log, &one, upTo: 1 + random.next() % (last - 1))
                    try SnapshotStore.ledger.save(one[0], log: log)
                }
                var resumed = SnapshotStore.ledger.load(composedSet(), log: log)
                #expect(resumed.allSatisfy { $0.position > 0 && $0.position < last }, "each starts from its snapshot")
                #expect(Set(resumed.map(\.position)).count > 1 || resumed.count == 1)
                try ProjectionEngine.catchUp(log, &resumed)
                for (index, (a, b)) in zip(try snapshotBytes(resumed), try snapshotBytes(full)).enumerated() where a != b {
                    let x = String(decoding: a, as: UTF8.self), y = String(decoding: b, as: UTF8.self)
                    let common = zip(x, y).prefix { $0 == $1 }.count
                    Issue.record("projection \(index) (\(type(of: resumed[index]).name), from \(resumed[index].position)) differs at \(common): \(x.dropFirst(max(0, common - 200)).prefix(400)) VS \(y.dropFirst(max(0, common - 200)).prefix(400))")
                }
            }
            // The desk projector's snapshot, read as its documented layout: the
            // state's JSON without its tickets, the tracked tickets in JSON parts
            // in number order, the closed tickets that left memory in binary.
            let bytes = Array(try full[0].snapshotData())
            #expect(bytes.prefix(4).elementsEqual("TLDP".utf8))
            var offset = 4
            func integer(_ size: Int) -> Int {
                defer { offset += size }
                return bytes[offset..<(offset + size)].reduce(0) { $0 << 8 | Int($1) }
            }
            let jsonLength = integer(8)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes[offset..<(offset + jsonLength)])) as? [String: Any])
            offset += jsonLength
            #expect(json["departed"] == nil && json["tickets"] == nil)
            var numbers: [String] = []
            for _ in 0..<integer(8) {
                let length = integer(8)
                let part = try #require(try JSONSerialization.jsonObject(with: Data(bytes[offset..<(offset + length)])) as? [String: Any])
                #expect(part.count <= 2_048)
                numbers += part.keys.sorted()
                offset += length
            }
            #expect(numbers.count > 2_048 && numbers == numbers.sorted(), "the tracked tickets, in number order across the parts")
            let departed = integer(8)
            #expect(departed > 0, "the simulated desk has closed tickets that left memory")
            // Each is its number, then 19 bytes: status, line, flags, registration time, two counts.
            for _ in 0..<departed { offset += integer(2) + 19 }
            #expect(offset == bytes.count)
            // The report built from each: the same.
            let desk = try #require(full[0] as? DeskProjector)
            let flow = try #require(full[1] as? FlowAnalyzer)
            var again = SnapshotStore.ledger.load(composedSet(), log: log)
            try ProjectionEngine.catchUp(log, &again)
            #expect(try #require(again[0] as? DeskProjector).metrics() == desk.metrics())
            #expect(try #require(again[1] as? FlowAnalyzer).report() == flow.report())
        }
    }

    @Test("a snapshot is kept beside the log: saved, replaced under its key, read by a read-only open; the log, its chain and verify are untouched; a read-only open cannot save one", arguments: Backend.allCases)
    func keptBesideTheLog(_ backend: Backend) async throws {
        try await withSimulatedLedger(backend, seed: 12, tickets: 150) { log, location in
            let head = try log.head()
            var set: [any Projection] = [EventsPerActorKind()]
            try ProjectionEngine.catchUp(log, &set, upTo: 100)
            try SnapshotStore.ledger.save(set[0], log: log)
            #expect(try log.projectionSnapshot(key: set[0].snapshotKey)?.position == 100)
            try ProjectionEngine.catchUp(log, &set)
            try SnapshotStore.ledger.save(set[0], log: log)
            let stored = try #require(try log.projectionSnapshot(key: set[0].snapshotKey))
            #expect(stored.position == head.position)
            #expect(stored.recordHash == head.hash)
            #expect(stored.state == (try SnapshotStore.state(of: set[0])))
            #expect(stored.state.dropFirst(32).elementsEqual(try set[0].snapshotData()))
            #expect(try log.projectionSnapshot(key: "no-such-projection-v1-0") == nil)
            #expect(try log.head() == head)
            #expect(try log.verify().isValid)
            log.close()

            let reader = try openLedger(location, access: .readOnly)
            defer { reader.close() }
            let loaded = try #require(SnapshotStore.ledger.load(matching: EventsPerActorKind(), log: reader))
            #expect(loaded == set[0] as? EventsPerActorKind)
            #expect(throws: EventLogError.self) { try SnapshotStore.ledger.save(loaded, log: reader) }
        }
    }

    @Test("a snapshot of another version, other options, a record since replaced or damaged bytes is ignored, never misread, on both backends", arguments: Backend.allCases)
    func mismatchesIgnored(_ backend: Backend) async throws {
        try await withSimulatedLedger(backend, seed: 13, tickets: 150) { log, _ in
            defer { log.close() }
            let options = ProjectionOptions(groupBy: .service)
            var set: [any Projection] = [DeskProjector(options: options)]
            try ProjectionEngine.catchUp(log, &set, upTo: 200)
            let good = try #require(set[0] as? DeskProjector)
            let key = good.snapshotKey
            let record = try #require(try log.event(at: 200))
            let state = try SnapshotStore.state(of: good)
            func stored(_ snapshot: ProjectionSnapshot) throws -> DeskProjector? {
                try log.saveProjectionSnapshot(snapshot)
                return SnapshotStore.ledger.load(matching: DeskProjector(options: options), log: log)
            }
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: record.hash, state: state))?.position == 200)
            // Another ledger's record at that position (another hash): ignored.
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: [UInt8](repeating: 7, count: 32), state: state)) == nil)
            // A position the ledger does not have: ignored.
            #expect(try stored(ProjectionSnapshot(key: key, position: 1_000_000, recordHash: record.hash, state: state)) == nil)
            // Damaged or cut bytes: ignored (a flipped bit fails the digest; the state without it fails to parse).
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: record.hash, state: Array(state.prefix(state.count / 2)))) == nil)
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: record.hash, state: [])) == nil)
            var flipped = state
            flipped[flipped.count - 3] ^= 0x10
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: record.hash, state: flipped)) == nil)
            var cut = Array(try good.snapshotData())
            cut.removeLast(5)
            #expect(throws: (any Error).self) { try DeskProjector(snapshotData: Data(cut)) }
            // The state of other options filed under this key: ignored.
            var other: [any Projection] = [DeskProjector(options: ProjectionOptions(groupBy: .group))]
            try ProjectionEngine.catchUp(log, &other, upTo: 200)
            #expect(try stored(ProjectionSnapshot(key: key, position: 200, recordHash: record.hash, state: try SnapshotStore.state(of: other[0]))) == nil)
            // A state that names another position than the snapshot: ignored.
            #expect(try stored(ProjectionSnapshot(key: key, position: 199, recordHash: try #require(try log.event(at: 199)).hash, state: state)) == nil)
            // Another version has another key: a snapshot of version 1 is never found for version 2.
            #expect(key.hasPrefix("desk-v\(DeskProjector.version)-"))
            #expect(good.snapshotKey != DeskProjector(options: ProjectionOptions(groupBy: .group)).snapshotKey)
        }
    }

    @Test("a ledger written by 0.3.0, opened read-only, has no snapshots and replays in full; opened for writing, it keeps them")
    func olderLedger() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ProofIndexFixture.path + "/data.mdb", toPath: ledger + "/data.mdb")
            do {
                let reader = try EventLog(path: ledger, configuration: EventLogConfiguration(access: .readOnly))
                defer { reader.close() }
                #expect(try reader.projectionSnapshot(key: DeskProjector().snapshotKey) == nil)
                #expect(SnapshotStore.ledger.load(matching: DeskProjector(), log: reader) == nil)
                var some: [any Projection] = [DeskProjector()]
                try ProjectionEngine.catchUp(reader, &some, upTo: 10)
                #expect(throws: EventLogError.self) { try SnapshotStore.ledger.save(some[0], log: reader) }
            }
            let writer = try EventLog(path: ledger)
            defer { writer.close() }
            var set: [any Projection] = [DeskProjector()]
            try ProjectionEngine.catchUp(writer, &set)
            try SnapshotStore.ledger.save(set[0], log: writer)
            #expect(SnapshotStore.ledger.load(matching: DeskProjector(), log: writer)?.position == (try writer.lastPosition()))
        }
    }
}

/// The 0.3.0 ledger kept with the EventLog tests.
enum ProofIndexFixture {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EventLogTests/Fixtures/ledger-0.3.0").path
}
