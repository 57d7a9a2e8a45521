import EventLog
import LedgerBackendsTesting
import Testing
import TicketLedgerTesting

@Suite("Reading")
struct ReadTests {
    @Test("streams read forward and backward, from a version, with a limit", arguments: Backend.allCases)
    func streamReads(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            for index in 0..<10 {
                _ = try log.append([sampleEvent("s\(index)")], to: "s")
                _ = try log.append([sampleEvent("t\(index)")], to: "t")
            }
            func labels(_ events: [RecordedEvent]) -> [String] { events.map { String(decoding: $0.payload, as: UTF8.self) } }
            #expect(labels(try log.readStream("s")) == (0..<10).map { "s\($0)" })
            #expect(labels(try log.readStream("s", from: 8)) == ["s7", "s8", "s9"])
            #expect(labels(try log.readStream("t", from: 2, limit: 2)) == ["t1", "t2"])
            #expect(labels(try log.readStream("t", from: .max, direction: .backward, limit: 3)) == ["t9", "t8", "t7"])
            #expect(labels(try log.readStream("t", from: 2, direction: .backward)) == ["t1", "t0"])
            #expect(try log.readStream("s", from: 11).isEmpty)
            #expect(try log.readStream("none").isEmpty)
            #expect(try log.readStream("s").map(\.streamVersion) == Array(1...10))
            var streams: [String: UInt64] = [:]
            #expect(try log.forEachStream { streams[$0] = $1 } == 2)
            #expect(streams == ["s": 10, "t": 10])
        }
    }

    @Test("one event by id and by position; forward reads in batches", arguments: Backend.allCases)
    func pointReads(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            var ids: [EventID] = []
            for batch in 0..<50 {
                let events = (0..<100).map { sampleEvent("\(batch)-\($0)") }
                ids += events.map(\.id)
                _ = try log.append(events, to: "stream-\(batch % 3)")
            }
            let found = try #require(try log.event(id: ids[4321]))
            #expect(found.position == 4322)
            #expect(String(decoding: found.payload, as: UTF8.self) == "43-21")
            #expect(try log.event(id: .make()) == nil)
            #expect(try log.event(at: 5000)?.id == ids[4999])
            #expect(try log.event(at: 5001) == nil)
            #expect(try log.read(from: 4990, limit: 100).map(\.position) == Array(4990...5000))
            var seen: [UInt64] = []
            let count = try log.forEachRecord(from: 1) { seen.append($0.position) }
            #expect(count == 5000)
            #expect(seen == Array(1...5000))
            let partial = try log.forEachRecord(from: 100, limit: 4200) { _ in }
            #expect(partial == 4200)
            // More streams than one read transaction walks.
            for index in 0..<5000 { _ = try log.append([sampleEvent("x")], to: "many-\(index)") }
            var streams: [String] = []
            try log.forEachStream { stream, _ in streams.append(stream) }
            let byteOrder = streams.sorted { (a: String, b: String) -> Bool in Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
            #expect(streams.count == 5003)
            #expect(streams == byteOrder)
        }
    }

    @Test("every envelope field reads back as written", arguments: Backend.allCases)
    func envelopeRoundTrip(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            let event = ProposedEvent(
                type: "TicketEscalated", schemaVersion: 3, occurredAt: Timestamp(microseconds: -1_234_567),
                actor: ActorRef(.caller, "jürgen@example.org"), correlationID: .make(), causationID: .make(),
                payload: Array(0...255))
            let before = Timestamp.now()
            _ = try log.append([event], to: "INC-ü-1")
            let read = try #require(try log.read(from: 1).first)
            #expect(read.event == event)
            #expect(read.streamID == "INC-ü-1")
            #expect(read.streamVersion == 1)
            #expect(read.recordedAt >= before)
            #expect(read.hash == (try log.head()).hash)
        }
    }
}
