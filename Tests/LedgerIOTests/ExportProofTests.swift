import Crypto
import EventLog
import Foundation
import LedgerIO
import Testing
import TicketLedger
import TicketLedgerTesting

/// The tampering an auditor must find in a ticket or period export: each case is
/// refused by ``ExportVerifier`` with the signer's key and by
/// `scripts/verify_export.py`, naming the line.
@Suite("Proofs in exports")
struct ExportProofTests {
    struct Fixture {
        let ledger: String
        let log: EventLog
        let signer: NoteSigner
        let verifier: NoteVerifier
        let verifierKey: String
        let ticket: [String]
        let otherTicket: [String]
        let period: [String]
        let ticketID: String
    }

    /// A simulated desk, a key, an export of one ticket with at least 5 events,
    /// one of another ticket and one of a week, all at the same chain head.
    func withFixture(_ body: (Fixture) throws -> Void) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 9, tickets: 400, days: 30)).generate(at: ledger)
            let (signerKey, verifierKey) = try NoteSigner.generate(name: "desk.example.com/proofs")
            let signer = try NoteSigner(encoded: signerKey)
            let log = try EventLog(path: ledger, configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            var counts: [String: Int] = [:]
            try log.forEachRecord(from: 1, limit: .max) { counts[$0.streamID, default: 0] += 1 }
            let long = counts.filter { $0.key.hasPrefix("INC-") && $0.value >= 5 }.keys.sorted()
            try #require(long.count >= 2)
            func export(_ selection: JSONLinesExport.Selection) throws -> [String] {
                var lines: [String] = []
                try JSONLinesExport.export(log, selection: selection, signer: signer) { lines.append(String($0.dropLast())) }
                return lines
            }
            let start = try #require(Timestamp(iso8601: "2024-01-08T00:00:00Z"))
            let end = try #require(Timestamp(iso8601: "2024-01-14T23:59:59Z"))
            try body(Fixture(
                ledger: path, log: log, signer: signer, verifier: try NoteVerifier(encoded: verifierKey), verifierKey: verifierKey,
                ticket: try export(.init(streams: [long[0]])), otherTicket: try export(.init(streams: [long[1]])),
                period: try export(.init(from: start, to: end)), ticketID: long[0]))
        }
    }

    /// Refused by both verifiers, at `line`, with `text` in the Swift verifier's words.
    func expectRefused(_ lines: [String], _ fixture: Fixture, line: Int, _ text: String, _ what: Comment) throws {
        let result = ExportVerifier.verify(lines: lines, key: fixture.verifier)
        #expect(!result.isValid, what)
        #expect(result.firstBadLine == line, "\(what): \(result.problem ?? "")")
        #expect(result.problem?.contains(text) == true, "\(what): \(result.problem ?? "")")
        let python = try runPython(lines, fixture)
        #expect(python.status == 1 && python.out.contains("INVALID at line \(line):"), "\(what), Python: \(python.out)\(python.err)")
    }

    func runPython(_ lines: [String], _ fixture: Fixture) throws -> ProcessOutput {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let interpreter = ProcessInfo.processInfo.environment["TICKETLEDGER_PYTHON"] ?? root.appendingPathComponent(".build/pyvenv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: interpreter), "no Python with cryptography at \(interpreter) (make test installs it)")
        let file = fixture.ledger + "/export-\(UUID().uuidString).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return try runProcess(interpreter, [root.appendingPathComponent("scripts/verify_export.py").path, file, "--key", fixture.verifierKey])
    }

    /// An event line whose record is changed by `edit` and whose hashes (the
    /// record's and the line's) are recomputed, so that only a proof can tell.
    func rehashed(_ line: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        var event = try JSONDecoder().decode(ExportedEvent.self, from: Data(line.utf8))
        var record = [UInt8](try #require(Data(base64Encoded: event.record)))
        var body = Array(record.dropLast(32))
        edit(&body)
        let previous = try #require(Data(hexString: event.previousHash))
        record = body + Array(SHA256.hash(data: previous + body))
        let proof = event.proof
        event = try record.withUnsafeBytes { raw in
            ExportedEvent(try RecordView(validating: raw, position: event.position), previousHash: Array(previous))
        }
        event.proof = proof
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(event), as: UTF8.self)
    }

    @Test("a ticket export proves the ticket complete; removed, edited, inserted, swapped events and edited headers, checkpoints and proofs are found")
    func ticketExport() async throws {
        try await withFixture { fixture in
            let lines = fixture.ticket
            let events = lines.count - 2
            #expect(events >= 5)
            let result = ExportVerifier.verify(lines: lines, key: fixture.verifier)
            #expect(result.isValid, "\(result.problem ?? "")")
            #expect(result.completeStreams == [fixture.ticketID])
            #expect(result.signedBy == "desk.example.com/proofs")
            let python = try runPython(lines, fixture)
            #expect(python.status == 0 && python.out.contains("valid: \(events) events"), "\(python.out)\(python.err)")
            let trailer = lines.count

            // Events removed: in the middle (the next line's version skips), the last, the last two.
            var middle = lines
            middle.remove(at: 3)
            try expectRefused(middle, fixture, line: 4, "events of the ticket are missing or out of order", "an event removed in the middle")
            var last = lines
            last.remove(at: lines.count - 2)
            try expectRefused(last, fixture, line: trailer - 1, "events were left out", "the last event removed")
            var lastTwo = lines
            lastTwo.removeSubrange(lines.count - 3...lines.count - 2)
            try expectRefused(lastTwo, fixture, line: trailer - 2, "events were left out", "the last two events removed")

            // An event edited and its hashes recomputed: its inclusion proof fails.
            var edited = lines
            edited[2] = try rehashed(lines[2]) { $0[$0.count - 1] ^= 0x01 }
            try expectRefused(edited, fixture, line: 3, "inclusion proof does not lead", "an event edited and rehashed")

            // Another ticket's event, with its own valid proof, inserted in position order.
            let foreign = fixture.otherTicket[1]
            let foreignPosition = try JSONDecoder().decode(ExportedEvent.self, from: Data(foreign.utf8)).position
            var inserted = lines
            let at = try inserted.dropFirst().dropLast().firstIndex {
                try JSONDecoder().decode(ExportedEvent.self, from: Data($0.utf8)).position > foreignPosition
            } ?? inserted.count - 1
            inserted.insert(foreign, at: at)
            try expectRefused(inserted, fixture, line: at + 1, "which the export does not select", "another ticket's event inserted")

            // Two lines swapped.
            var swapped = lines
            swapped.swapAt(2, 3)
            try expectRefused(swapped, fixture, line: 3, "missing or out of order", "two lines swapped")

            // A header field edited: the export's digest in its checkpoint no longer holds.
            var header = lines
            header[0] = header[0].replacingOccurrences(of: "\"ledger\":\"ledger\"", with: "\"ledger\":\"other\"")
            #expect(header[0] != lines[0])
            try expectRefused(header, fixture, line: trailer, "not the ones its checkpoint was made for", "a header field edited")
            var count = lines
            count[0] = count[0].replacingOccurrences(of: "\"count\":\(events)", with: "\"count\":\(events - 1)")
            #expect(count[0] != lines[0])
            try expectRefused(count, fixture, line: trailer, "map proof does not lead", "the ticket's count edited")

            // The checkpoint edited: its signature fails.
            var checkpoint = lines
            let size = try #require(result.checkpoint?.size)
            checkpoint[trailer - 1] = checkpoint[trailer - 1].replacingOccurrences(of: "\\n\(size)\\n", with: "\\n\(size + 1)\\n")
            #expect(checkpoint[trailer - 1] != lines[trailer - 1])
            try expectRefused(checkpoint, fixture, line: trailer, "does not verify", "the checkpoint edited")

            // A proof edited: one hash of an event's path changed.
            var proof = lines
            var event = try JSONDecoder().decode(ExportedEvent.self, from: Data(lines[2].utf8))
            let encoded = try #require(event.proof)
            var path = [UInt8](try #require(Data(base64Encoded: encoded)))
            try #require(path.count >= 32)
            path[0] ^= 0x01
            event.proof = Data(path).base64EncodedString()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            proof[2] = String(decoding: try encoder.encode(event), as: UTF8.self)
            try expectRefused(proof, fixture, line: 3, "inclusion proof does not lead", "a proof edited")

            // A key that did not sign it.
            let (_, otherKey) = try NoteSigner.generate(name: "desk.example.com/proofs")
            let foreignKey = ExportVerifier.verify(lines: lines, key: try NoteVerifier(encoded: otherKey))
            #expect(!foreignKey.isValid && foreignKey.problem?.contains("no signature of the key") == true, "\(foreignKey.problem ?? "")")
        }
    }

    @Test("the export of a missing ticket is refused, and a forged one does not verify")
    func missingTicket() async throws {
        try await withFixture { fixture in
            let log = fixture.log
            #expect(throws: EventLogError.self) {
                try JSONLinesExport.export(log, selection: .init(streams: ["INC-999999"]), signer: fixture.signer) { _ in }
            }
            // A ticket export whose ticket is renamed to one the ledger never had:
            // no map proof leads to the signed map root.
            let forged = fixture.ticket.map { $0.replacingOccurrences(of: fixture.ticketID, with: "INC-999999") }
            let result = ExportVerifier.verify(lines: forged, key: fixture.verifier)
            #expect(!result.isValid)
            let python = try runPython(forged, fixture)
            #expect(python.status == 1, "\(python.out)")
        }
    }

    @Test("a period export proves each event included; a removed line or edited header flags are found")
    func periodExport() async throws {
        try await withFixture { fixture in
            let lines = fixture.period
            #expect(lines.count > 20)
            #expect(ExportVerifier.verify(lines: lines, key: fixture.verifier).isValid)
            let python = try runPython(lines, fixture)
            #expect(python.status == 0, "\(python.out)\(python.err)")
            let trailer = lines.count
            var removed = lines
            removed.remove(at: 10)
            try expectRefused(removed, fixture, line: trailer - 1, "not the ones its checkpoint was made for", "a line removed")
            var full = lines
            full[0] = full[0].replacingOccurrences(of: "\"full\":false", with: "\"full\":true")
            try expectRefused(full, fixture, line: 2, "a line is missing", "full set on a selection")
            var widened = lines
            widened[0] = widened[0].replacingOccurrences(of: "\"selection\":\"from", with: "\"selection\":\"all events, from")
            #expect(widened[0] != lines[0])
            try expectRefused(widened, fixture, line: trailer, "not the ones its checkpoint was made for", "the selection's words edited")
        }
    }

    @Test("a full export rebuilds the checkpoint's tree and stream map from its records")
    func fullExport() async throws {
        try await withFixture { fixture in
            let log = fixture.log
            var lines: [String] = []
            try JSONLinesExport.export(log, signer: fixture.signer) { lines.append(String($0.dropLast())) }
            let result = ExportVerifier.verify(lines: lines, key: fixture.verifier)
            #expect(result.isValid, "\(result.problem ?? "")")
            #expect(try log.mismatch(with: try #require(result.checkpoint)) == nil)
            #expect(try runPython(lines, fixture).status == 0)
            // The stream map, recomputed by hand from the records.
            var histories: [String: (count: UInt64, history: MerkleTree.Hash)] = [:]
            try log.forEachRecord(from: 1, limit: .max) { view in
                let before = histories[view.streamID] ?? (0, [UInt8](repeating: 0, count: 32))
                histories[view.streamID] = (before.count + 1, Array(SHA256.hash(data: before.history + Array(view.hashBytes))))
            }
            let map = try #require(result.checkpoint?.map)
            let recomputed = StreamEntry.mapRoot(histories)
            #expect(recomputed.size == map.size && recomputed.root == map.root)
        }
    }
}

extension Data {
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) ?? hexString.endIndex
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
