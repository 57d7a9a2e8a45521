import EventLog
import LedgerBackendsTesting
import Foundation
import Testing
import TicketLedgerTesting

/// Checks that positions are 1...n, each stream's versions gapless, and every
/// expected payload present exactly once.
func checkLedger(_ log: any EventStore, expectedPayloads: Set<String>) throws {
    let events = try log.read(from: 1, limit: .max)
    #expect(events.map(\.position) == Array(1...UInt64(expectedPayloads.count)))
    let payloads = events.map { String(decoding: $0.payload, as: UTF8.self) }
    #expect(Set(payloads) == expectedPayloads)
    #expect(payloads.count == expectedPayloads.count)
    var versions: [String: UInt64] = [:]
    for event in events {
        let next = versions[event.streamID, default: 0] + 1
        #expect(event.streamVersion == next, "stream \(event.streamID) at position \(event.position)")
        versions[event.streamID] = next
    }
    #expect(try log.verify().isValid)
}

@Suite("Concurrent writers")
struct ConcurrencyTests {
    @Test("two threads appending 10,000 events each, durable, through group commit", arguments: Backend.allCases)
    func twoThreads(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            DispatchQueue.concurrentPerform(iterations: 2) { writer in
                for index in 0..<10_000 {
                    _ = try! log.append([sampleEvent("w\(writer)-\(index)")], to: "w\(writer)-\(index % 10)")
                }
            }
            let expected = Set((0..<2).flatMap { writer in (0..<10_000).map { "w\(writer)-\($0)" } })
            try checkLedger(log, expectedPayloads: expected)
        }
    }

    @Test("32 tasks appending concurrently share commits and keep order", arguments: Backend.allCases)
    func manyTasks(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        for index in 0..<100 {
                            _ = try await log.append([sampleEvent("t\(task)-\(index)")], to: "t\(task)", expecting: .exactly(UInt64(index)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let expected = Set((0..<32).flatMap { task in (0..<100).map { "t\(task)-\($0)" } })
            try checkLedger(log, expectedPayloads: expected)
        }
    }

    @Test("two processes appending 10,000 events each to one ledger", arguments: Backend.allCases)
    func twoProcesses(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let helpers = try ["p", "q"].map { prefix in
                try HelperProcess(["append", path, prefix, "10000", "buffered"])
            }
            for helper in helpers {
                #expect(helper.waitUntilExit() == 0)
                #expect(helper.output.last == "done")
            }
            let log = try openLedger(path)
            let expected = Set(["p", "q"].flatMap { prefix in (0..<10_000).map { "\(prefix) \($0)" } })
            try checkLedger(log, expectedPayloads: expected)
            // Each helper saw its own acknowledged positions; together they are every position once.
            let acked = helpers.flatMap { $0.output.filter { $0.hasPrefix("ack ") }.map { $0.split(separator: " ")[1] } }
            #expect(Set(acked).count == 20_000)
        }
    }

    /// Each writer keeps what it knows of the streams it appends to (their
    /// versions and histories) from one commit to the next; another process's
    /// appends to the same streams must make it read them again.
    @Test("two processes appending to the same streams keep every stream's versions gapless and the proof index equal to the records", arguments: Backend.allCases)
    func twoProcessesOneStreamSet(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let helpers = try (0..<2).map { _ in try HelperProcess(["append", path, "shared", "2000", "buffered"]) }
            for helper in helpers {
                #expect(helper.waitUntilExit() == 0)
                #expect(helper.output.last == "done")
            }
            let log = try openLedger(path)
            defer { log.close() }
            #expect(try log.lastPosition() == 4_000)
            let report = try log.verify()
            #expect(report.isValid, "\(report)")
            #expect(try log.checkIndexes() == nil)
            var versions: [String: UInt64] = [:]
            try log.forEachStream { versions[$0] = $1 }
            #expect(versions.count == 7 && versions.values.reduce(0, +) == 4_000)
            for (stream, version) in versions {
                #expect(try log.readStream(stream).map(\.streamVersion) == Array(1...version))
            }
            try ProofIndexTests.expectSameProofs(log, size: 4_000, streams: Set(versions.keys))
        }
    }
}
