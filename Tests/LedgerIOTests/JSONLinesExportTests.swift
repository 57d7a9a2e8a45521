import EventLog
import Foundation
import LedgerIO
import Testing
import TicketLedger
import TicketLedgerTesting

/// A small ledger whose bytes are the same on every run (a fixed clock).
func smallLedger(_ path: String) throws -> EventLog {
    var configuration = EventLogConfiguration(durability: .buffered)
    configuration.clock = { Timestamp(seconds: 1_714_560_000) }
    let log = try EventLog(path: path, configuration: configuration)
    var random = SeededGenerator(seed: 42)
    let op = ActorRef(.agent, "op-1")
    func append(_ stream: String, _ events: [TicketEvent], at seconds: Int64) throws {
        let proposed = events.enumerated().map { index, body in
            TicketEventCodec.proposed(
                DeskEvent(body), id: EventID.make(unixMilliseconds: UInt64(seconds) * 1000, using: &random),
                occurredAt: Timestamp(seconds: seconds + Int64(index)), actor: op)
        }
        _ = try log.append(proposed, to: stream)
    }
    try append("INC-000001", [
        .registered(.init(number: "INC-000001", kind: .incident, channel: .phone, caller: "ann", client: ClientRef("Retail-East", kind: .outsourcedCustomer), title: "Till 4 frozen", category: "Hardware", service: "Point of Sale", configurationItems: ["POS-4"], impact: .medium, urgency: .high, priority: 2, matrixVersion: 1)),
        .assigned(.init(group: "Service Desk", line: .firstLine, agent: "op-1")),
    ], at: 1_714_552_200)
    try append("INC-000002", [
        .registered(.init(number: "INC-000002", kind: .incident, channel: .email, caller: "bo", client: ClientRef("Finance"), title: "VPN down", category: "Network", service: "Network", configurationItems: ["VPN-1"], impact: .high, urgency: .high, priority: 1, matrixVersion: 1)),
    ], at: 1_714_552_300)
    try append("INC-000001", [.resolved(.init(code: "rebooted", line: .firstLine)), .closed(code: "confirmed")], at: 1_714_553_000)
    return log
}

func exportLines(_ log: EventLog, _ selection: JSONLinesExport.Selection = .init()) throws -> [String] {
    var lines: [String] = []
    // A fixed checkpoint time, so the golden file stays the same.
    try JSONLinesExport.export(log, selection: selection, time: Timestamp(seconds: 1_714_560_000)) { lines.append(String($0.dropLast())) }
    return lines
}

@Suite("JSON Lines export for auditors")
struct JSONLinesExportTests {
    @Test("the export of a small fixed ledger equals its golden file")
    func golden() async throws {
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            let lines = try exportLines(log)
            let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/small.jsonl")
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
                // Deliberate format changes: regenerate, then review the diff.
                try (lines.joined(separator: "\n") + "\n").write(to: golden, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOf: golden, encoding: .utf8)
            #expect(lines.joined(separator: "\n") + "\n" == expected)
        }
    }

    @Test("an untouched export verifies; edited, deleted, reordered or relabelled lines are named")
    func tampering() async throws {
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            let lines = try exportLines(log)
            #expect(lines.count == 7)
            #expect(ExportVerifier.verify(lines: lines).isValid)
            #expect(ExportVerifier.verify(lines: lines).events == 5)

            func expectRejected(_ changed: [String], line: Int, _ text: String) {
                let result = ExportVerifier.verify(lines: changed)
                #expect(!result.isValid)
                #expect(result.firstBadLine == line, "\(result.problem ?? "")")
                #expect(result.problem?.contains(text) == true, "\(result.problem ?? "")")
            }
            // An edited record (one byte of the base64 changed) breaks its hash.
            var edited = lines
            edited[3] = edited[3].replacingOccurrences(of: "\"record\":\"A", with: "\"record\":\"B")
            expectRejected(edited, line: 4, "hash does not match")
            // A deleted line leaves a gap in a full export.
            var deleted = lines
            deleted.remove(at: 2)
            expectRejected(deleted, line: 3, "a line is missing")
            // Reordered lines: in a full export the first swapped line leaves a gap...
            var reordered = lines
            reordered.swapAt(2, 3)
            expectRejected(reordered, line: 3, "a line is missing")
            // ... and in a ticket's export the first swapped line skips a version.
            var ticketLines = try exportLines(log, JSONLinesExport.Selection(streams: ["INC-000001"]))
            ticketLines.swapAt(2, 3)
            expectRejected(ticketLines, line: 3, "missing or out of order")
            // A readable field edited while the record bytes and hashes stay.
            var relabelled = lines
            relabelled[2] = relabelled[2].replacingOccurrences(of: "\"streamId\":\"INC-000001\"", with: "\"streamId\":\"INC-000009\"")
            expectRejected(relabelled, line: 3, "streamId differs")
            var retimed = lines
            retimed[5] = retimed[5].replacingOccurrences(of: "\"occurredAt\":\"2024-05-01T08:43:21", with: "\"occurredAt\":\"2024-05-01T08:43:22")
            expectRejected(retimed, line: 6, "occurredAt differs")
            // The last lines cut off: the checkpoint, then an event too.
            expectRejected(Array(lines.dropLast()), line: 6, "the export was cut")
            var lastEventCut = lines
            lastEventCut.remove(at: 5)
            expectRejected(lastEventCut, line: 6, "stated chain head")
        }
    }

    @Test("awkward characters survive the hand-written JSON lines")
    func escaping() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/odd", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            let odd = "quote \" back \\ slash / tab \t line \n bell \u{07} ü 🎫"
            _ = try log.append([ProposedEvent(type: "Odd " + odd, occurredAt: .now(), actor: ActorRef(.caller, odd), payload: [0, 1, 2])], to: "S-" + odd)
            let lines = try exportLines(log)
            #expect(ExportVerifier.verify(lines: lines).isValid)
            let event = try JSONDecoder().decode(ExportedEvent.self, from: Data(lines[1].utf8))
            #expect(event.streamId == "S-" + odd)
            #expect(event.actorId == odd)
            #expect(event.type == "Odd " + odd)
        }
    }

    @Test("a ticket's export holds only its events and still verifies")
    func oneTicket() async throws {
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            let lines = try exportLines(log, JSONLinesExport.Selection(streams: ["INC-000001"]))
            #expect(lines.count == 6)
            #expect(lines.dropFirst().dropLast().allSatisfy { $0.contains("\"streamId\":\"INC-000001\"") })
            #expect(ExportVerifier.verify(lines: lines).isValid)
        }
    }

    @Test("the Python verifier of docs/AUDIT.md accepts an export and rejects a tampered one")
    func pythonVerifier() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is missing at /usr/bin/python3; CI installs it")
            return
        }
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            let lines = try exportLines(log)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/verify_export.py").path
            func run(_ text: [String]) throws -> (Int32, String) {
                let file = path + "/export.jsonl"
                try (text.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                let result = try runProcess("/usr/bin/python3", [script, file])
                return (result.status, result.out)
            }
            let good = try run(lines)
            #expect(good.0 == 0)
            #expect(good.1.contains("valid: 5 events"))
            var relabelled = lines
            relabelled[2] = relabelled[2].replacingOccurrences(of: "\"actorId\":\"op-1\"", with: "\"actorId\":\"op-2\"")
            let bad = try run(relabelled)
            #expect(bad.0 == 1)
            #expect(bad.1.contains("INVALID at line 3"))
            // Not an export at all, a garbled line, a file that is not there: a message, never a traceback.
            for (text, line) in [(["not json"], 1), ([lines[0], "{\"position\": 1}"] + lines.dropFirst(2), 2)] {
                let garbled = try run(text)
                #expect(garbled.0 == 1 && garbled.1.contains("INVALID at line \(line):"), "\(garbled.1)")
            }
            let missing = try runProcess("/usr/bin/python3", [script, path + "/nosuch.jsonl"])
            #expect(missing.status == 1 && missing.out.contains("cannot read") && !missing.err.contains("Traceback"), "\(missing.out)\(missing.err)")
        }
    }
}

@Suite("Importing a JSON Lines export")
struct JSONLinesImportTests {
    @Test("an export imports into a new ledger with the same events; twice writes nothing; a tampered one writes nothing")
    func importExport() async throws {
        try await withTemporaryDirectory { path in
            let source = try smallLedger(path + "/small")
            let lines = try exportLines(source)
            let originals = try source.read(from: 1, limit: .max)
            source.close()
            let file = path + "/small.jsonl"
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let target = try EventLog(path: path + "/copy", configuration: EventLogConfiguration(durability: .buffered))
            defer { target.close() }
            let result = try JSONLinesImport.importFile(file, into: target)
            #expect(result.events == 5)
            #expect(result.appended == 5)
            let copies = try target.read(from: 1, limit: .max)
            #expect(copies.map(\.event) == originals.map(\.event))
            #expect(copies.map(\.streamID) == originals.map(\.streamID))
            #expect(try JSONLinesImport.importFile(file, into: target).appended == 0)
            var tampered = lines
            tampered[2] = tampered[2].replacingOccurrences(of: "\"actorId\":\"op-1\"", with: "\"actorId\":\"mallory\"")
            try (tampered.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let other = try EventLog(path: path + "/other", configuration: EventLogConfiguration(durability: .buffered))
            defer { other.close() }
            let error = #expect(throws: ImportError.self) { try JSONLinesImport.importFile(file, into: other) }
            #expect(error?.description.contains("line 3") == true)
            #expect(try other.lastPosition() == 0)
        }
    }
}
