import EventLog
import LedgerBackendsTesting
import Testing
import TicketLedgerTesting

@Suite("Appending")
struct AppendTests {
    @Test("positions and stream versions are gapless from 1", arguments: Backend.allCases)
    func gaplessPositions(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            let first = try log.append([sampleEvent("a"), sampleEvent("b")], to: "s1", expecting: .noStream)
            let second = try log.append([sampleEvent("c")], to: "s2", expecting: .noStream)
            let third = try log.append([sampleEvent("d")], to: "s1", expecting: .exactly(2))
            #expect(first.positions == 1...2)
            #expect(first.streamVersions == 1...2)
            #expect(second.positions == 3...3)
            #expect(third.positions == 4...4)
            #expect(third.streamVersions == 3...3)
            #expect(try log.lastPosition() == 4)
            #expect(try log.streamVersion("s1") == 3)
            #expect(try log.streamVersion("nothing") == 0)
            let all = try log.read(from: 1)
            #expect(all.map(\.position) == [1, 2, 3, 4])
            #expect(all.map { String(decoding: $0.payload, as: UTF8.self) } == ["a", "b", "c", "d"])
        }
    }

    @Test("a wrong expected version writes nothing and reports the actual version", arguments: Backend.allCases)
    func wrongExpectedVersion(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            _ = try log.append([sampleEvent("a"), sampleEvent("b")], to: "s", expecting: .noStream)
            let head = try log.head()
            for expected in [ExpectedVersion.noStream, .exactly(1), .exactly(5)] {
                let error = #expect(throws: EventLogError.self) {
                    try log.append([sampleEvent("x"), sampleEvent("y")], to: "s", expecting: expected)
                }
                #expect(error?.code == .wrongExpectedVersion)
                #expect(error?.actualVersion == 2)
                #expect(error?.message.contains("stream 's' is at version 2") == true)
            }
            let missing = #expect(throws: EventLogError.self) {
                try log.append([sampleEvent("x")], to: "other", expecting: .exactly(3))
            }
            #expect(missing?.actualVersion == 0)
            #expect(try log.head() == head)
            #expect(try log.streamVersion("other") == 0)
        }
    }

    @Test("retrying a stored batch returns the original positions and writes nothing", arguments: Backend.allCases)
    func idempotentRetry(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            let batch = [sampleEvent("a"), sampleEvent("b"), sampleEvent("c")]
            _ = try await log.append([sampleEvent("before")], to: "other")
            let original = try await log.append(batch, to: "s", expecting: .noStream)
            let head = try log.head()
            let retry = try await log.append(batch, to: "s", expecting: .noStream)
            #expect(retry.positions == original.positions)
            #expect(retry.streamVersions == original.streamVersions)
            #expect(retry.wasAlreadyStored)
            #expect(!original.wasAlreadyStored)
            let asyncRetry = try await log.append(batch, to: "s")
            #expect(asyncRetry.positions == 2...4)
            #expect(try log.head() == head)
        }
    }

    @Test("a batch of which only some ids are stored is an error and writes nothing", arguments: Backend.allCases)
    func partialDuplicate(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            let stored = sampleEvent("a")
            _ = try log.append([stored], to: "s")
            let head = try log.head()
            let error = #expect(throws: EventLogError.self) {
                try log.append([sampleEvent("new"), stored], to: "s")
            }
            #expect(error?.code == .duplicateEventID)
            #expect(error?.position == 1)
            let elsewhere = #expect(throws: EventLogError.self) {
                try log.append([stored], to: "another stream")
            }
            #expect(elsewhere?.code == .duplicateEventID)
            #expect(try log.head() == head)
        }
    }

    @Test("bad arguments are rejected before anything is written", arguments: Backend.allCases)
    func invalidArguments(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            let twice = sampleEvent("twice")
            var noType = sampleEvent("x")
            noType.type = ""
            var zeroID = sampleEvent("x")
            zeroID.id = .zero
            let cases: [([ProposedEvent], String, String)] = [
                ([], "s", "has no events"),
                ([sampleEvent("x")], "", "stream id"),
                ([sampleEvent("x")], String(repeating: "s", count: 501), "stream id"),
                ([twice, twice], "s", "appears twice"),
                ([noType], "s", "type"),
                ([zeroID], "s", "all-zero id"),
            ]
            for (events, stream, text) in cases {
                let error = #expect(throws: EventLogError.self) { try log.append(events, to: stream) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains(text) == true, "\(error?.message ?? "")")
            }
            #expect(try log.lastPosition() == 0)
        }
    }

    @Test("a multi-stream append lands whole or not at all", arguments: Backend.allCases)
    func multiStream(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            _ = try await log.append([sampleEvent("existing")], to: "b")
            let head = try log.head()
            // The second stream's check fails: the first stream's events must not land.
            let error = #expect(throws: EventLogError.self) {
                try log.append([
                    StreamAppend(stream: "a", events: [sampleEvent("a1"), sampleEvent("a2")], expected: .noStream),
                    StreamAppend(stream: "b", events: [sampleEvent("b2")], expected: .noStream),
                ])
            }
            #expect(error?.code == .wrongExpectedVersion)
            #expect(try log.head() == head)
            #expect(try log.streamVersion("a") == 0)
            // The same stream twice in one batch sees its own first part.
            let results = try await log.append([
                StreamAppend(stream: "a", events: [sampleEvent("a1")], expected: .noStream),
                StreamAppend(stream: "b", events: [sampleEvent("b2")], expected: .exactly(1)),
                StreamAppend(stream: "a", events: [sampleEvent("a2")], expected: .exactly(1)),
            ])
            #expect(results.map(\.positions) == [2...2, 3...3, 4...4])
            #expect(results.map(\.streamVersions) == [1...1, 2...2, 2...2])
            #expect(try log.verify().isValid)
        }
    }

    @Test("one group commit keeps each append's own checks", arguments: Backend.allCases)
    func groupKeepsOwnChecks(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            // 64 tasks race for 8 streams, each expecting to create it: exactly one per stream wins.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        (try? await log.append([sampleEvent("\(index)")], to: "s\(index % 8)", expecting: .noStream)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 8)
            #expect(try log.lastPosition() == 8)
            #expect(try log.verify().isValid)
        }
    }

    @Test("a closed or read-only ledger refuses appends with a clear error", arguments: Backend.allCases)
    func closedAndReadOnly(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            let log = try openLedger(path)
            _ = try log.append([sampleEvent("a")], to: "s")
            if backend == .lmdb {
                // LMDB's locks are per process: a second handle would break them.
                let again = #expect(throws: EventLogError.self) { try openLedger(path) }
                #expect(again?.code == .alreadyOpen)
            }
            log.close()
            let closed = #expect(throws: EventLogError.self) { try log.append([sampleEvent("b")], to: "s") }
            #expect(closed?.code == .closed)
            let reader = try openLedger(path, access: .readOnly)
            let readOnly = #expect(throws: EventLogError.self) { try reader.append([sampleEvent("b")], to: "s") }
            #expect(readOnly?.code == .readOnly)
            #expect(try reader.read(from: 1).count == 1)
        }
    }

    @Test("opening something that is not a ledger names it", arguments: Backend.allCases)
    func notALedger(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            // A folder without a ledger; a schema without the ledger's tables.
            let missing = backend == .lmdb ? path + "/missing" : path + "_missing"
            let error = #expect(throws: EventLogError.self) { try openLedger(missing, access: .readOnly) }
            let name = backend == .lmdb ? missing : String(missing.split(separator: "=").last!)
            #expect(error?.message.contains(name) == true, "\(error?.message ?? "")")
        }
    }
}
