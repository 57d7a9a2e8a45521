import Foundation
import Testing
import TicketLedgerTesting

/// What the flag tests read of `desk flow --json`, decoded with JSONDecoder
/// (JSONSerialization's booleans, read from tests running in parallel, were
/// seen to come out false).
struct FlowFlags: Decodable {
    struct Pair: Decodable { let a, b: String; let flagged: Bool }
    struct Handovers: Decodable { let groupPingPong: [Pair] }
    struct Wait: Decodable { let key: String; let waitTickets: Int; let flagged: Bool }
    let handovers: Handovers
    let waitUserAgents: [Wait]
    let waitUserGroups: [Wait]

    init(_ output: String) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(output.utf8))
    }
}

@Suite("desk flow")
struct FlowTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let root = here.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = here.deletingLastPathComponent().appendingPathComponent("LedgerIOTests/Fixtures")
    static let shared = root.appendingPathComponent("../shared/data").standardized

    struct Log: Sendable, CustomTestStringConvertible {
        var file: String
        var preset: String
        var columns: [String]  // case, activity, time, time format (pandas)
        var testDescription: String { URL(fileURLWithPath: file).lastPathComponent }
    }

    static let logs: [Log] = {
        let helpdesk = ["Case ID", "Activity", "Complete Timestamp", "%Y/%m/%d %H:%M:%S.%f"]
        let bpi = ["case:concept:name", "concept:name", "time:timestamp", "ISO8601"]
        if FileManager.default.fileExists(atPath: shared.appendingPathComponent("helpdesk.csv").path) {
            return [
                Log(file: shared.appendingPathComponent("helpdesk.csv").path, preset: "helpdesk", columns: helpdesk),
                Log(file: shared.appendingPathComponent("bpi2013_closed_problems.csv").path, preset: "bpi2013-problems", columns: bpi),
            ]
        }
        return [
            Log(file: fixtures.appendingPathComponent("helpdesk-excerpt.csv").path, preset: "helpdesk", columns: helpdesk),
            Log(file: fixtures.appendingPathComponent("bpi2013-excerpt.csv").path, preset: "bpi2013-problems", columns: bpi),
        ]
    }()

    @Test("the directly-follows graph, start and end activities and variants equal pm4py's on the real logs", arguments: logs)
    func pm4py(log: Log) async throws {
        let python = ProcessInfo.processInfo.environment["TICKETLEDGER_PYTHON"] ?? Self.root.appendingPathComponent(".build/pyvenv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python), "no Python with pm4py at \(python) (make test installs it)")
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("import", log.file, "--ledger", ledger, "--preset", log.preset).status == 0)
            let flow = try json(try desk("flow", "--ledger", ledger, "--variants", "0", "--json").out)
            let run = try runProcess(python, [Self.here.appendingPathComponent("flow_check.py").path, log.file] + log.columns)
            let expected = try json(run.out)

            var edges: [String: Int] = [:]
            for edge in flow["edges"] as! [[String: Any]] { edges["\(edge["from"]!)\t\(edge["to"]!)"] = edge["count"] as? Int }
            func counts(_ key: String) -> [String: Int] {
                Dictionary(uniqueKeysWithValues: (flow[key] as! [[String: Any]]).map { ($0["name"] as! String, $0["count"] as! Int) })
            }
            var variants: [String: Int] = [:]
            for variant in flow["variants"] as! [[String: Any]] { variants[(variant["activities"] as! [String]).joined(separator: "\t")] = variant["count"] as? Int }

            #expect(flow["tickets"] as? Int == expected["cases"] as? Int)
            #expect(edges == expected["edges"] as? [String: Int])
            #expect(counts("startActivities") == expected["start"] as? [String: Int])
            #expect(counts("endActivities") == expected["end"] as? [String: Int])
            #expect(flow["variantCount"] as? Int == (expected["variants"] as? [String: Int])?.count)
            #expect(variants == expected["variants"] as? [String: Int])
        }
    }

    @Test("the planted ping-pong pair and wait-user agent are flagged, and nothing else", arguments: [UInt64(1), 7])
    func planted(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/planted"
            let generated = try json(try desk("generate", "--ledger", ledger, "--tickets", "2000", "--days", "90", "--seed", String(seed), "--json").out)
            let planted = try #require(generated["planted"] as? [[String: Any]])
            let pair = try #require(planted.first { $0["kind"] as? String == "pingPongPair" })
            let agent = try #require(planted.first { $0["kind"] as? String == "waitUserAgent" })
            let flow = try FlowFlags(try desk("flow", "--ledger", ledger, "--json").out)
            #expect(flow.handovers.groupPingPong.filter(\.flagged).map { [$0.a, $0.b] } == [(pair["members"] as! [String]).sorted()])
            #expect(flow.waitUserAgents.filter(\.flagged).map(\.key) == [agent["key"] as! String])
            // desk problems shows the same flags for the same window.
            struct ProblemFlags: Decodable { let flaggedPingPong: [FlowFlags.Pair]; let flaggedWaitUser: [FlowFlags.Wait] }
            let problems = try JSONDecoder().decode(ProblemFlags.self, from: Data(try desk("problems", "--ledger", ledger, "--json").out.utf8))
            #expect(problems.flaggedPingPong.map { [$0.a, $0.b] } == flow.handovers.groupPingPong.filter(\.flagged).map { [$0.a, $0.b] })
            #expect(problems.flaggedWaitUser.map(\.key) == [agent["key"] as! String])
        }
    }

    @Test("control ledgers flag no pair, agent or group", arguments: [UInt64(1), 2, 3])
    func control(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/control"
            _ = try desk("generate", "--ledger", ledger, "--tickets", "2000", "--days", "90", "--seed", String(seed), "--no-plants")
            let flow = try FlowFlags(try desk("flow", "--ledger", ledger, "--json").out)
            let pairs = flow.handovers.groupPingPong
            #expect(!pairs.isEmpty, "a control ledger still returns handovers now and then")
            #expect(pairs.allSatisfy { !$0.flagged }, "seed \(seed): \(pairs)")
            for (key, rows) in [("agents", flow.waitUserAgents), ("groups", flow.waitUserGroups)] {
                #expect(rows.contains { $0.waitTickets > 0 })
                #expect(rows.allSatisfy { !$0.flagged }, "seed \(seed), \(key)")
            }
        }
    }

    @Test("an imported log without assignments says why push to front is empty; bad options are refused")
    func honest() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let source = Self.logs[0].file
            #expect(try desk("import", source, "--ledger", ledger, "--preset", "helpdesk").status == 0)
            let flow = try json(try desk("flow", "--ledger", ledger, "--json").out)
            #expect(flow["pushToFront"] == nil || flow["pushToFront"] is NSNull)
            let notes = flow["notes"] as! [String]
            #expect(notes.contains { $0.contains("push to front") && $0.contains("cannot be judged") })
            if try String(contentsOfFile: source, encoding: .utf8).contains(",Wait,") {
                // The help desk's "Wait" is a suspension without a reason: not counted as wait-user.
                #expect(notes.contains { $0.contains("suspensions give no reason") })
                #expect((flow["waitUserAgents"] as! [[String: Any]]).allSatisfy { ($0["waitTickets"] as! Int) == 0 })
            }
            let text = try desk("flow", "--ledger", ledger)
            #expect(text.status == 0 && text.out.contains("note: the log records no assignment or escalation"))
            let reversed = try desk("flow", "--ledger", ledger, "--from", "2014-01-01", "--to", "2013-01-01")
            #expect(reversed.status == 64 && reversed.err.contains("--from"), "\(reversed.err)")
            #expect(try desk("flow", "--ledger", ledger, "--variants", "-1").status == 64)
            #expect(try desk("flow", "--ledger", ledger, "--position", "0").status == 64)
            // As of a position: only the events up to it (the first record is the ledger's metadata: personal data sealed).
            let early = try json(try desk("flow", "--ledger", ledger, "--position", "100", "--json").out)
            #expect(early["events"] as? Int == 99)
        }
    }
}
