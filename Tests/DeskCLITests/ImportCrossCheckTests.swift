import Foundation
import Testing
import TicketLedgerTesting

/// Computes, without TicketLedger, what an analyst would from the CSV: cases,
/// per-activity counts, each case's duration (first to last event) and the
/// Pareto of cases by a column (the value at the case's first event).
let independentScript = #"""
import csv, datetime, json, sys
path, case_col, activity_col, time_col, time_format, key_col = sys.argv[1:7]
def parse(text):
    if time_format == "iso":
        return datetime.datetime.fromisoformat(text)
    return datetime.datetime.strptime(text, time_format).replace(tzinfo=datetime.timezone.utc)
events = {}
activities = {}
with open(path, newline="") as f:
    for line, row in enumerate(csv.DictReader(f), start=2):
        events.setdefault(row[case_col], []).append((parse(row[time_col]), line, row[key_col]))
        activities[row[activity_col]] = activities.get(row[activity_col], 0) + 1
pareto = {}
durations = {}
for case, rows in events.items():
    rows.sort()
    durations[case] = (rows[-1][0] - rows[0][0]).total_seconds()
    pareto[rows[0][2]] = pareto.get(rows[0][2], 0) + 1
print(json.dumps({"cases": len(events), "events": sum(activities.values()), "activities": activities, "durations": durations, "pareto": pareto}))
"""#

@Suite("Imported numbers agree with an independent computation")
struct ImportCrossCheckTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("LedgerIOTests/Fixtures")
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("../shared/data").standardized

    struct Case: Sendable {
        var file: String
        var preset: String
        var caseColumn, activityColumn, timeColumn, timeFormat, keyColumn, dimension: String
    }

    static let logs: [Case] = {
        var cases = [
            Case(file: fixtures.appendingPathComponent("helpdesk-excerpt.csv").path, preset: "helpdesk", caseColumn: "Case ID", activityColumn: "Activity",
                 timeColumn: "Complete Timestamp", timeFormat: "%Y/%m/%d %H:%M:%S.%f", keyColumn: "product", dimension: "product"),
            Case(file: fixtures.appendingPathComponent("bpi2013-excerpt.csv").path, preset: "bpi2013-problems", caseColumn: "case:concept:name",
                 activityColumn: "concept:name", timeColumn: "time:timestamp", timeFormat: "iso", keyColumn: "org:group", dimension: "group"),
        ]
        if FileManager.default.fileExists(atPath: shared.appendingPathComponent("helpdesk.csv").path) {
            cases.append(Case(file: shared.appendingPathComponent("helpdesk.csv").path, preset: "helpdesk", caseColumn: "Case ID", activityColumn: "Activity",
                              timeColumn: "Complete Timestamp", timeFormat: "%Y/%m/%d %H:%M:%S.%f", keyColumn: "product", dimension: "product"))
            cases.append(Case(file: shared.appendingPathComponent("bpi2013_closed_problems.csv").path, preset: "bpi2013-problems", caseColumn: "case:concept:name",
                              activityColumn: "concept:name", timeColumn: "time:timestamp", timeFormat: "iso", keyColumn: "org:group", dimension: "group"))
        }
        return cases
    }()

    @Test("cases, per-activity counts, case durations and the Pareto table", arguments: logs.indices)
    func crossCheck(index: Int) async throws {
        let log = Self.logs[index]
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let imported = try json(try desk("import", log.file, "--ledger", ledger, "--preset", log.preset, "--json").out)
            // The independent numbers.
            try independentScript.write(toFile: path + "/check.py", atomically: true, encoding: .utf8)
            let output = Data(try runProcess("/usr/bin/python3", [path + "/check.py", log.file, log.caseColumn, log.activityColumn, log.timeColumn, log.timeFormat, log.keyColumn]).out.utf8)
            let expected = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(imported["cases"] as? Int == expected["cases"] as? Int)
            #expect(imported["events"] as? Int == expected["events"] as? Int)
            let stats = try json(try desk("stats", "--ledger", ledger, "--json").out)
            #expect(stats["tickets"] as? Int == expected["cases"] as? Int)
            // The ledger holds one more: its metadata, that it seals personal data.
            #expect(stats["events"] as? Int == (expected["events"] as? Int).map { $0 + 1 })
            // Per-activity counts from the ledger (CSV export's original activity names).
            let exported = try desk("export", "--ledger", ledger, "--format", "csv").out
            var activities: [String: Int] = [:]
            for row in exported.split(separator: "\r\n").dropFirst() { activities[String(row.split(separator: ",", omittingEmptySubsequences: false)[3]), default: 0] += 1 }
            #expect(activities == (expected["activities"] as? [String: Int]))
            // The Pareto table: incidents per key.
            let problems = try json(try desk("problems", "--ledger", ledger, "--by", log.dimension, "--top", "100000", "--json").out)
            var pareto: [String: Int] = [:]
            for area in problems["areas"] as! [[String: Any]] { pareto[area["key"] as! String] = area["incidents"] as? Int }
            #expect(pareto == (expected["pareto"] as? [String: Int]))
            // Case durations, through `desk history --json`, for up to 25 cases.
            let durations = try #require(expected["durations"] as? [String: Double])
            for caseID in durations.keys.sorted().prefix(25) {
                let history = try json(try desk("history", "--ledger", ledger, caseID, "--json").out)
                let times = (history["events"] as! [[String: Any]]).compactMap { ($0["occurredAt"] as? String).flatMap(iso) }
                let seconds = times.max()!.timeIntervalSince(times.min()!)
                #expect(abs(seconds - durations[caseID]!) < 0.001, "\(caseID): \(seconds) vs \(durations[caseID]!)")
            }
        }
    }
}

/// Parses the ISO 8601 times `desk --json` writes (microseconds, Z).
func iso(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: String(text.prefix(23)) + "Z")
}
