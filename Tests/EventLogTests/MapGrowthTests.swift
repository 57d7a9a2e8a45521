import EventLog
import Testing
import TicketLedgerTesting

@Suite("Map growth")
struct MapGrowthTests {
    @Test("a ledger opened with a 1 MiB map takes 100 MB of appends with no error reaching the caller")
    func growsFromOneMebibyte() async throws {
        try await withTemporaryDirectory { path in
            var configuration = EventLogConfiguration(durability: .buffered, initialMapSize: 1 << 20)
            configuration.maximumMapSize = 1 << 32
            let log = try EventLog(path: path, configuration: configuration)
            #expect(log.mapSize == 1 << 20)
            // 100 batches of 100 events of 10,000 bytes: 100 MB of payload.
            for batch in 0..<100 {
                let events = (0..<100).map { sampleEvent("\(batch)-\($0)", payloadSize: 10_000) }
                let result = try log.append(events, to: "big-\(batch % 5)")
                #expect(result.positions.count == 100)
            }
            #expect(try log.lastPosition() == 10_000)
            #expect(log.mapSize > 100_000_000)
            #expect(try log.verify().isValid)
        }
    }

    @Test("one batch larger than the whole map still lands")
    func batchLargerThanMap() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path, configuration: EventLogConfiguration(initialMapSize: 1 << 20))
            let events = (0..<400).map { sampleEvent("\($0)", payloadSize: 20_000) }
            let result = try await log.append(events, to: "s")
            #expect(result.positions == 1...400)
            #expect(try log.read(from: 400).first?.payload.count == 20_000)
        }
    }

    @Test("an append beyond the maximum map size fails clearly and loses nothing written before")
    func maximumMapSize() async throws {
        try await withTemporaryDirectory { path in
            var configuration = EventLogConfiguration(initialMapSize: 1 << 20)
            configuration.maximumMapSize = 4 << 20
            let log = try EventLog(path: path, configuration: configuration)
            _ = try log.append([sampleEvent("kept", payloadSize: 1000)], to: "s")
            let head = try log.head()
            let error = #expect(throws: EventLogError.self) {
                try log.append((0..<100).map { sampleEvent("\($0)", payloadSize: 100_000) }, to: "s")
            }
            #expect(error?.code == .storageFull)
            #expect(error?.lmdbReturnCode != nil)
            #expect(error?.message.contains(path) == true)
            #expect(try log.head() == head)
            _ = try log.append([sampleEvent("after", payloadSize: 1000)], to: "s")
            #expect(try log.verify().isValid)
            #expect(try log.lastPosition() == 2)
        }
    }

    @Test("a map grown by another process is adopted by a reader and a writer")
    func grownElsewhere() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path, configuration: EventLogConfiguration(durability: .buffered, initialMapSize: 1 << 20))
            _ = try log.append([sampleEvent("first")], to: "s")
            // The helper opens with a 1 MiB map and grows it to hold 3,000 events.
            let helper = try HelperProcess(["append", path, "other", "3000", "buffered"])
            #expect(helper.waitUntilExit() == 0)
            #expect(try log.read(from: 1, limit: .max).count == 3001)
            _ = try log.append((0..<200).map { sampleEvent("\($0)", payloadSize: 10_000) }, to: "s")
            #expect(try log.verify().isValid)
        }
    }
}
