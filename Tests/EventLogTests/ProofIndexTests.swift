import EventLog
import Foundation
import Testing
import TicketLedgerTesting
import LedgerBackendsTesting

/// The proof index (tree nodes and stream histories kept in the append
/// transaction) against the same proofs computed from the records alone.
@Suite("Proof index")
struct ProofIndexTests {
    /// Proofs of `size` from the index and from the records, compared whole.
    static func expectSameProofs(_ log: any EventStore, size: UInt64, streams: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let positions = Set([1, size / 3 + 1, size / 2, size - 1, size].filter { $0 >= 1 && $0 <= size })
        let indexed = try log.prove(size: size, positions: positions, streams: streams, from: .index)
        let scanned = try log.prove(size: size, positions: positions, streams: streams, from: .records)
        #expect(indexed.root == scanned.root, "root of \(size)", sourceLocation: sourceLocation)
        #expect(indexed.mapSize == scanned.mapSize && indexed.mapRoot == scanned.mapRoot, "map of \(size)", sourceLocation: sourceLocation)
        #expect(indexed.inclusion == scanned.inclusion, "inclusion proofs in \(size)", sourceLocation: sourceLocation)
        #expect(indexed.streams == scanned.streams, "stream proofs in \(size)", sourceLocation: sourceLocation)
    }

    /// 1,300 records: single and multi-stream appends, a rejected multi-stream
    /// append in the middle of a group, and copied records.
    static func fill(_ log: any EventStore) async throws {
        for index in 0..<600 { _ = try await log.append([sampleEvent("a\(index)")], to: "S-\((index * 7) % 13)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<50 {
                        _ = try await log.append([
                            StreamAppend(stream: "W-\(writer)", events: [sampleEvent("w\(index)")]),
                            StreamAppend(stream: "S-\(index % 13)", events: [sampleEvent("x\(index)"), sampleEvent("y\(index)")]),
                        ])
                    }
                    // Refused as a whole: the first stream's event must not reach the index.
                    await #expect(throws: EventLogError.self) {
                        try await log.append([
                            StreamAppend(stream: "W-\(writer)", events: [sampleEvent("never")]),
                            StreamAppend(stream: "S-0", events: [sampleEvent("never")], expected: .noStream),
                        ])
                    }
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<100 { _ = try await log.append([sampleEvent("b\(index)")], to: "é-\(index % 3)") }
    }

    @Test("the stored index gives the proofs a pass over the records gives, at sizes around the stored levels, on both backends", arguments: Backend.allCases)
    func indexEqualsRecords(_ backend: Backend) async throws {
        try await withFreshLedger(backend) { location in
            let log = try openLedger(location)
            defer { log.close() }
            try await Self.fill(log)
            let last = try log.lastPosition()
            #expect(last == 1_900)
            #expect(try log.proofIndexSize() == last)
            for size: UInt64 in [1, 2, 255, 256, 257, 511, 512, 700, 1_024, 1_025, 1_899, last] {
                try Self.expectSameProofs(log, size: size, streams: ["S-3", "W-5", "é-1", "missing"])
            }
            // Every stream entry at the head: its version and the history of its records.
            var versions: [String: UInt64] = [:]
            try log.forEachStream { versions[$0] = $1 }
            var entries: [String: UInt64] = [:]
            try log.forEachStreamEntry(size: last) { entries[$0.streamID] = $0.count }
            #expect(entries == versions)
        }
    }

    @Test("batches long enough to be hashed on a second thread (a new stream, a stream with history, one refused with a long batch inside) index as single appends do, on both backends", arguments: Backend.allCases)
    func longBatches(_ backend: Backend) async throws {
        try await withFreshLedger(backend) { location in
            let log = try openLedger(location)
            defer { log.close() }
            for index in 0..<300 { _ = try await log.append([sampleEvent("a\(index)")], to: "S-\(index % 7)") }
            _ = try await log.append((0..<1_500).map { sampleEvent("l\($0)") }, to: "L")
            _ = try await log.append((0..<2_100).map { sampleEvent("m\($0)") }, to: "S-3")
            await #expect(throws: EventLogError.self) {
                try await log.append([
                    StreamAppend(stream: "S-4", events: (0..<1_100).map { sampleEvent("never\($0)") }),
                    StreamAppend(stream: "L", events: [sampleEvent("never")], expected: .noStream),
                ])
            }
            _ = try await log.append([
                StreamAppend(stream: "S-4", events: (0..<1_100).map { sampleEvent("n\($0)") }),
                StreamAppend(stream: "S-5", events: [sampleEvent("o")]),
            ])
            let last = try log.lastPosition()
            #expect(last == 300 + 1_500 + 2_100 + 1_101)
            #expect(try log.proofIndexSize() == last)
            for size: UInt64 in [300, 1_800, 1_801, 3_900, 4_000, last] {
                try Self.expectSameProofs(log, size: size, streams: ["S-3", "S-4", "S-5", "L"])
            }
            #expect(try log.verify().isValid)
        }
    }

    @Test("a ledger written without the index: read-only, proofs come from the records; opened for writing, it gains the index and keeps its chain, on both backends", arguments: Backend.allCases)
    func upgrade(_ backend: Backend) async throws {
        try await withFreshLedger(backend) { location in
            var head: ChainHead
            do {
                let log = try openLedger(location, durability: .buffered)
                try await Self.fill(log)
                head = try log.head()
                log.close()
            }
            try removeProofIndex(location)
            do {
                let log = try openLedger(location, access: .readOnly)
                defer { log.close() }
                #expect(try log.proofIndexSize() == 0)
                #expect(try log.verify().isValid)
                let proof = try log.prove(size: head.position, positions: [7], streams: ["S-3"])
                #expect(proof.root == (try log.treeRoot(size: head.position)))
            }
            let log = try openLedger(location, durability: .buffered)
            defer { log.close() }
            #expect(try log.proofIndexSize() == head.position)
            #expect(try log.head() == head)
            try Self.expectSameProofs(log, size: head.position, streams: ["S-3", "é-2"])
            // Appends continue the upgraded tree.
            _ = try await log.append([sampleEvent("after")], to: "S-3")
            try Self.expectSameProofs(log, size: head.position + 1, streams: ["S-3"])
            #expect(try log.verify().isValid)
        }
    }

    /// A ledger written by TicketLedger 0.3.0, with a checkpoint it signed:
    /// `Fixtures/ledger-0.3.0`, made with that version's `desk generate
    /// --tickets 45 --days 5 --seed 3` and `desk checkpoint`. A change to the
    /// stored layout must keep reading it (or upgrade it) to pass.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ledger-0.3.0")

    /// The fixture's signed checkpoint, verified with its key.
    static func fixtureCheckpoint() throws -> Checkpoint {
        let note = try String(contentsOf: fixture.appendingPathComponent("checkpoint-0.3.note"), encoding: .utf8)
        let key = try String(contentsOf: fixture.appendingPathComponent("verifier.pub"), encoding: .utf8)
        return try Checkpoint(parsing: try NoteVerifier(encoded: key.trimmingCharacters(in: .whitespacesAndNewlines)).verify(note))
    }

    @Test("a ledger written by 0.3.0 reads, verifies and matches the checkpoint 0.3.0 signed, from its records and from its index, read-only and read-write; appends continue it")
    func ledgerOf030() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder + "/ledger"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.fixture.appendingPathComponent("data.mdb").path, toPath: path + "/data.mdb")
            let checkpoint = try Self.fixtureCheckpoint()
            #expect(checkpoint.size == 334)
            var records: [[UInt8]] = []
            for access in [EventLogConfiguration.AccessMode.readOnly, .readWrite] {
                let log = try EventLog(path: path, configuration: EventLogConfiguration(access: access))
                defer { log.close() }
                #expect(try log.proofIndexSize() == 334)
                #expect(try log.verify().isValid)
                #expect(try log.mismatch(with: checkpoint) == nil)
                let indexed = try log.prove(size: checkpoint.size, from: .index).checkpoint(origin: checkpoint.origin, time: try #require(checkpoint.time))
                #expect(indexed == checkpoint)
                var read: [[UInt8]] = []
                try log.forEachRecord(from: 1) { read.append(Array($0.bytes)) }
                if records.isEmpty { records = read } else { #expect(read == records) }
            }
            let log = try EventLog(path: path)
            defer { log.close() }
            _ = try await log.append([sampleEvent("after")], to: "INC-000007")
            try Self.expectSameProofs(log, size: 335, streams: ["INC-000007", "INC-000045"])
            #expect(try log.verify().isValid)
        }
    }

    @Test("verify finds a stored tree node or stream history that does not match the records, on both backends", arguments: Backend.allCases)
    func verifyFindsTampering(_ backend: Backend) async throws {
        let cases: [(ProofIndexEntry, String)] = [
            (.node(level: 8, index: 2), "tree node of records 513...768 does not match"),
            (.node(level: 10, index: 0), "tree node of records 1...1024 does not match"),
            // S-0's last record is the last of the S streams' appends: its history is its stream's entry in the map.
            (.history(position: 1_800), "stream histories do not match"),
        ]
        for (entry, expected) in cases {
            try await withFreshLedger(backend) { location in
                do {
                    let log = try openLedger(location, durability: .buffered)
                    try await Self.fill(log)
                    #expect(try log.verify().isValid)
                    log.close()
                }
                try tamperProofIndex(location, entry)
                let log = try openLedger(location, access: .readOnly)
                defer { log.close() }
                let report = try log.verify()
                #expect(!report.isValid, "\(entry)")
                #expect(report.problem?.contains(expected) == true, "\(entry): \(report.problem ?? "valid")")
            }
        }
    }
}
