import EventLog
import Testing
import TicketLedgerTesting

/// The golden vectors of docs/FORMAT.md. If a change to the code changes these
/// bytes, the format changed: bump `RecordFormat.formatVersion` and document it.
enum GoldenVectors {
    static let first = ProposedEvent(
        id: EventID("0192d4e0-0000-7000-8000-000000000001")!,
        type: "TicketRegistered",
        schemaVersion: 1,
        occurredAt: Timestamp(microseconds: 1_714_552_200_000_000),  // 2024-05-01T08:30:00Z
        actor: ActorRef(.caller, "ann"),
        correlationID: EventID("0192d4e0-0000-7000-8000-0000000000c0")!,
        causationID: .zero,
        payload: Array("{}".utf8))
    static let second = ProposedEvent(
        id: EventID("0192d4e0-0000-7000-8000-000000000002")!,
        type: "TicketAssigned",
        schemaVersion: 2,
        occurredAt: Timestamp(microseconds: 1_714_552_260_500_000),
        actor: ActorRef(.agent, "bo"),
        correlationID: EventID("0192d4e0-0000-7000-8000-0000000000c0")!,
        causationID: EventID("0192d4e0-0000-7000-8000-000000000001")!,
        payload: [0x01, 0x02])
    static let recordedAt = Timestamp(microseconds: 1_714_552_261_000_000)

    // Checked independently with Python: struct.pack('<q', ...) for the fields and
    // hashlib.sha256(previous + body) for the hashes (docs/FORMAT.md shows how).
    static let firstHex =
        "010101000a00100003000000020000000100000000000000010000000000000000"
        + "72d44a60170600403b774e601706000192d4e0000070008000000000000001"
        + "0192d4e00000700080000000000000c000000000000000000000000000000000"
        + "494e432d3030303030315469636b657452656769737465726564616e6e7b7d"
    static let secondHex =
        "010202000a000e00020000000200000002000000000000000200000000000000"
        + "209a6f4e60170600403b774e601706000192d4e0000070008000000000000002"
        + "0192d4e00000700080000000000000c00192d4e0000070008000000000000001"
        + "494e432d3030303030315469636b657441737369676e6564626f0102"
    static let firstHash = "272a95aa5854379b0cfaec22edc322676415edf7f9abf43632f88a7fe5c9fcaf"
    static let secondHash = "5dfc1fa5fffd38b40208559624c8c0d81e5406f98f8a4db99c6b602a41872c27"
}

@Suite("Record format")
struct FormatTests {
    func encodeGoldenPair() -> (first: [UInt8], second: [UInt8]) {
        var first: [UInt8] = []
        let firstHash = RecordFormat.encode(
            GoldenVectors.first, streamID: "INC-000001", streamVersion: 1, position: 1,
            recordedAt: GoldenVectors.recordedAt, previousHash: [UInt8](repeating: 0, count: 32), into: &first)
        var second: [UInt8] = []
        _ = RecordFormat.encode(
            GoldenVectors.second, streamID: "INC-000001", streamVersion: 2, position: 2,
            recordedAt: GoldenVectors.recordedAt, previousHash: firstHash, into: &second)
        return (first, second)
    }

    @Test("the golden vectors encode to the documented bytes and hashes")
    func goldenVectors() throws {
        let (first, second) = encodeGoldenPair()
        #expect(first.dropLast(32).hexString == GoldenVectors.firstHex)
        #expect(second.dropLast(32).hexString == GoldenVectors.secondHex)
        #expect(first.suffix(32).hexString == GoldenVectors.firstHash)
        #expect(second.suffix(32).hexString == GoldenVectors.secondHash)
    }

    @Test("a record decodes field by field")
    func decode() throws {
        let (_, second) = encodeGoldenPair()
        try second.withUnsafeBytes { bytes in
            let view = try RecordView(validating: bytes, position: 2)
            let event = view.materialize()
            #expect(event.event == GoldenVectors.second)
            #expect(event.position == 2)
            #expect(event.streamVersion == 2)
            #expect(event.streamID == "INC-000001")
            #expect(event.recordedAt == GoldenVectors.recordedAt)
            #expect(view.hashBytes.elementsEqual(second.suffix(32)))
        }
    }

    @Test("a damaged record is refused with its position")
    func damaged() throws {
        var (first, _) = encodeGoldenPair()
        first[0] = 9
        let error = #expect(throws: EventLogError.self) {
            try first.withUnsafeBytes { _ = try RecordView(validating: $0, position: 7) }
        }
        #expect(error?.code == .corruptRecord)
        #expect(error?.position == 7)
        let short = Array(first.prefix(50))
        #expect(throws: EventLogError.self) {
            try short.withUnsafeBytes { _ = try RecordView(validating: $0, position: 7) }
        }
    }

    @Test("the ledger stores exactly the documented encoding")
    func ledgerUsesFormat() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path)
            _ = try log.append([GoldenVectors.first, GoldenVectors.second], to: "INC-000001")
            var previous = [UInt8](repeating: 0, count: 32)
            try log.forEachRecord(from: 1) { view in
                var expected: [UInt8] = []
                let event = view.materialize()
                previous = RecordFormat.encode(
                    event.event, streamID: event.streamID, streamVersion: event.streamVersion, position: event.position,
                    recordedAt: event.recordedAt, previousHash: previous, into: &expected)
                #expect(Array(view.bytes) == expected)
            }
            #expect(try log.head().hash == previous)
        }
    }
}
