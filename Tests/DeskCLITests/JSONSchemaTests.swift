import Foundation
import Testing
import TicketLedgerTesting

/// Every `--json` document that `desk` prints validates against its JSON Schema
/// in docs/schemas, on a simulated desk, an empty ledger and the shared
/// help-desk log; a renamed or missing key does not.
@Suite("JSON output and its schemas")
struct JSONSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let helpdesk = root.appendingPathComponent("../shared/data/helpdesk.csv").standardized.path

    var python: String {
        get throws {
            let interpreter = ProcessInfo.processInfo.environment["TICKETLEDGER_PYTHON"] ?? Self.root.appendingPathComponent(".build/pyvenv/bin/python").path
            try #require(FileManager.default.isExecutableFile(atPath: interpreter), "no Python with jsonschema at \(interpreter) (make test installs it)")
            return interpreter
        }
    }

    func check(_ samples: String) throws -> ProcessOutput {
        try runProcess(try python, [Self.root.appendingPathComponent("scripts/check-json-schemas.py").path, samples])
    }

    @Test("every command's --json output validates against its schema and carries schemaVersion 1; a renamed or missing key is refused")
    func schemas() async throws {
        try await withTemporaryDirectory { path in
            let samples = path + "/samples"
            let run = try runProcess("/bin/bash", [
                Self.root.appendingPathComponent("scripts/json-samples.sh").path, builtExecutable("desk"), samples, Self.helpdesk,
            ])
            #expect(run.status == 0, "\(run.err)")
            let documents = try FileManager.default.contentsOfDirectory(atPath: samples).filter { $0.hasSuffix(".json") }
            // Every command with --json, on each ledger it applies to.
            let commands = Set(documents.map { String($0.split(separator: ".")[0]) })
            #expect(commands == ["copy", "flow", "generate", "history", "import", "metrics", "problems", "queues", "replay", "stats", "verify", "verify-export"])
            for document in documents {
                let text = try String(contentsOfFile: samples + "/" + document, encoding: .utf8)
                #expect(try json(text)["schemaVersion"] as? Int == 1, "\(document)")
            }
            let valid = try check(samples)
            #expect(valid.status == 0, "\(valid.out)\(valid.err)")
            #expect(valid.out.contains("\(documents.count) documents checked, 0 invalid"), "\(valid.out)")

            // The check can fail: a renamed key, a missing one, a string for a number.
            let broken = path + "/broken"
            try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
            let stats = try String(contentsOfFile: samples + "/stats.sim.json", encoding: .utf8)
            try stats.replacingOccurrences(of: "\"tickets\":", with: "\"ticketCount\":").write(toFile: broken + "/stats.renamed.json", atomically: true, encoding: .utf8)
            try stats.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2").write(toFile: broken + "/stats.version.json", atomically: true, encoding: .utf8)
            let queues = try String(contentsOfFile: samples + "/queues.sim.json", encoding: .utf8)
            try queues.replacingOccurrences(of: "\"open\":", with: "\"open\":\"many\",\"was\":").write(toFile: broken + "/queues.typed.json", atomically: true, encoding: .utf8)
            let refused = try check(broken)
            #expect(refused.status == 1)
            #expect(refused.out.contains("3 documents checked, 3 invalid"), "\(refused.out)")
            #expect(refused.out.contains("'ticketCount' was unexpected") && refused.out.contains("'tickets' is a required property"), "\(refused.out)")
        }
    }
}
