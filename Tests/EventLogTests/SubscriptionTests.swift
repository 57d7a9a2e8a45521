import EventLog
import LedgerBackendsTesting
import Foundation
import Testing
import TicketLedgerTesting

@Suite("Subscriptions")
struct SubscriptionTests {
    @Test("a subscriber from position 1 sees every event of a concurrent writer exactly once, in order", arguments: Backend.allCases)
    func followsConcurrentWriter(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path, durability: .buffered)
            _ = try await log.append((0..<50).map { sampleEvent("before \($0)") }, to: "early")
            let total = 5050
            async let seen: [RecordedEvent] = {
                var events: [RecordedEvent] = []
                for try await event in log.subscribe(from: 1, batchSize: 64) {
                    events.append(event)
                    if events.count == total { break }
                }
                return events
            }()
            for index in 0..<5000 {
                _ = try await log.append([sampleEvent("live \(index)")], to: "live-\(index % 9)")
                if index % 500 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            let events = try await seen
            #expect(events.map(\.position) == Array(1...UInt64(total)))
            #expect(events.suffix(5000).map { String(decoding: $0.payload, as: UTF8.self) } == (0..<5000).map { "live \($0)" })
        }
    }

    @Test("a subscriber follows appends of another process", arguments: Backend.allCases)
    func followsOtherProcess(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path, durability: .buffered)
            let helper = try HelperProcess(["append", path, "other", "2000", "buffered"])
            var positions: [UInt64] = []
            for try await event in log.subscribe(from: 1) {
                positions.append(event.position)
                if positions.count == 2000 { break }
            }
            #expect(helper.waitUntilExit() == 0)
            #expect(positions == Array(1...2000))
        }
    }

    @Test("cancelling the subscribing task ends the sequence", arguments: Backend.allCases)
    func cancellation(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            _ = try await log.append([sampleEvent("one")], to: "s")
            let task = Task {
                var count = 0
                for try await _ in log.subscribe(from: 1) { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            #expect(try await task.value == 1)
        }
    }
}
