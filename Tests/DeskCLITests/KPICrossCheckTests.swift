import Foundation
import Testing
import TicketLedgerTesting

/// `desk metrics` on real desk exports equals an independent Python computation
/// (`kpi_check.py`, csv module only, which states what each log means).
@Suite("KPIs of real desk exports agree with an independent computation")
struct KPICrossCheckTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let script = here.appendingPathComponent("kpi_check.py").path
    static let fixtures = here.deletingLastPathComponent().appendingPathComponent("LedgerIOTests/Fixtures")
    static let shared = here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("../shared/data").standardized

    struct Log: Sendable, CustomTestStringConvertible {
        var kind: String
        var file: String
        var preset: String
        var testDescription: String { URL(fileURLWithPath: file).lastPathComponent }
    }

    static let logs: [Log] = {
        var logs = [
            Log(kind: "servicenow", file: fixtures.appendingPathComponent("servicenow-incidents.csv").path, preset: "servicenow"),
            Log(kind: "helpdesk", file: fixtures.appendingPathComponent("helpdesk-excerpt.csv").path, preset: "helpdesk"),
            Log(kind: "bpi2013", file: fixtures.appendingPathComponent("bpi2013-excerpt.csv").path, preset: "bpi2013-problems-status"),
        ]
        if FileManager.default.fileExists(atPath: shared.appendingPathComponent("helpdesk.csv").path) {
            logs.append(Log(kind: "helpdesk", file: shared.appendingPathComponent("helpdesk.csv").path, preset: "helpdesk"))
            logs.append(Log(kind: "bpi2013", file: shared.appendingPathComponent("bpi2013_closed_problems.csv").path, preset: "bpi2013-problems-status"))
        }
        return logs
    }()

    /// Both nil, or equal within `relative` (percentiles come from a histogram within 1 %).
    func agree(_ ours: Any?, _ theirs: Any?, relative: Double = 1e-9, _ what: String) {
        let a = (ours as? NSNumber)?.doubleValue
        let b = (theirs as? NSNumber)?.doubleValue
        if a == nil || b == nil {
            #expect(a == nil && b == nil, "\(what): desk \(String(describing: ours)), Python \(String(describing: theirs))")
        } else {
            #expect(abs(a! - b!) <= relative * max(abs(b!), 1), "\(what): desk \(a!), Python \(b!)")
        }
    }

    @Test("registered, inflow per week, FCR, first line, reopen, reassignment, time to resolve, backlog", arguments: logs)
    func crossCheck(log: Log) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try desk("import", log.file, "--ledger", ledger, "--preset", log.preset, "--json")
            let metrics = try json(try desk("metrics", "--ledger", ledger, "--json").out)
            let output = Data(try runProcess("/usr/bin/python3", [Self.script, log.kind, log.file]).out.utf8)
            let expected = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            for key in expected.keys.sorted() where !["inflow", "closedByPriority", "configurationItems"].contains(key) {
                let relative = key.hasPrefix("median") || key.hasPrefix("p90") ? 0.01 : 1e-9
                agree(metrics[key] as Any?, expected[key] is NSNull ? nil : expected[key], relative: relative, "\(log.testDescription) \(key)")
            }
            var inflow: [String: Int] = [:]
            for flow in metrics["flows"] as! [[String: Any]] where (flow["inflow"] as! Int) > 0 {
                inflow[String((flow["start"] as! String).prefix(10))] = flow["inflow"] as? Int
            }
            #expect(inflow == expected["inflow"] as? [String: Int])

            if log.kind == "servicenow" {
                // Priorities as the file states them: closed incidents by their last priority.
                let byPriority = try json(try desk("metrics", "--ledger", ledger, "--by", "priority", "--json").out)
                var closed: [String: Int] = [:]
                for group in byPriority["groups"] as! [[String: Any]] where (group["closed"] as! Int) > 0 {
                    closed[group["key"] as! String] = group["closed"] as? Int
                }
                #expect(closed == expected["closedByPriority"] as? [String: Int])
                // `?` is a missing value, never a configuration item.
                let problems = try json(try desk("problems", "--ledger", ledger, "--by", "ci", "--top", "1000", "--json").out)
                let keys = Set((problems["areas"] as! [[String: Any]]).map { $0["key"] as! String })
                #expect(keys.subtracting(["(none)"]) == Set(expected["configurationItems"] as! [String]))
            }
        }
    }
}
