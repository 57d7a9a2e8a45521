import EventLog
import Foundation
import LedgerIO
import MetricsTestKit
import Testing
import TicketLedger
import TicketLedgerTesting

let fixtures = packageRoot.appendingPathComponent("Tests/LedgerIOTests/Fixtures")
let sharedData = packageRoot.appendingPathComponent("../shared/data").standardized

/// Per-activity counts and cases of a CSV, computed apart from the importer
/// (plain line splitting: these files have no quoted fields).
func independentCounts(_ path: String, caseColumn: String, activityColumn: String) throws -> (rows: Int, cases: Int, activities: [String: Int]) {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let caseIndex = header.firstIndex(of: caseColumn)!
    let activityIndex = header.firstIndex(of: activityColumn)!
    var cases = Set<String>()
    var activities: [String: Int] = [:]
    for line in lines.dropFirst() where !line.isEmpty {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cases.insert(cells[caseIndex])
        activities[cells[activityIndex], default: 0] += 1
    }
    return (lines.count - 1, cases.count, activities)
}

/// Per-activity counts as the ledger holds them (the original names, through the CSV export).
func ledgerActivityCounts(_ log: EventLog) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    var first = true
    try CSVExport.export(log) { text in
        for row in text.split(separator: "\r\n") {
            if first { first = false; continue }
            counts[String(row.split(separator: ",", omittingEmptySubsequences: false)[3]), default: 0] += 1
        }
    }
    return counts
}

@Suite("Importing CSV event logs")
struct CSVImportTests {
    @Test("the helpdesk and BPI excerpts import whole, in time order, with their sources; a second import writes nothing")
    func excerpts() async throws {
        for (file, preset, caseColumn, activityColumn) in [
            ("helpdesk-excerpt.csv", "helpdesk", "Case ID", "Activity"),
            ("bpi2013-excerpt.csv", "bpi2013-problems", "case:concept:name", "concept:name"),
        ] {
            try await withTemporaryLedger { log in
                let path = fixtures.appendingPathComponent(file).path
                let result = try CSVImport.importFile(path, mapping: try ImportMapping.preset(preset), into: log)
                let expected = try independentCounts(path, caseColumn: caseColumn, activityColumn: activityColumn)
                #expect(result.events == expected.rows)
                #expect(result.appended == expected.rows)
                #expect(result.cases == expected.cases)
                #expect(try ledgerActivityCounts(log) == expected.activities)
                // Time order, and every event knows its file and line.
                let events = try log.read(from: 1, limit: .max)
                #expect(events.map(\.event.occurredAt) == events.map(\.event.occurredAt).sorted())
                let decoded = try events.compactMap { try TicketEventCodec.decode($0) }
                #expect(decoded.allSatisfy { $0.attributes["source.file"] == file && $0.attributes["source.line"] != nil })
                // Again: nothing new.
                let again = try CSVImport.importFile(path, mapping: try ImportMapping.preset(preset), into: log)
                #expect(again.appended == 0)
                #expect(try log.lastPosition() == UInt64(expected.rows))
            }
        }
    }

    @Test("batches are appended while the next is read: small batches land whole and in order with progress after each, and a batch that cannot be written stops the import with its error")
    func batchesOverlap() async throws {
        let path = fixtures.appendingPathComponent("helpdesk-excerpt.csv").path
        let mapping = try ImportMapping.preset("helpdesk")
        try await withTemporaryLedger { reference in
            let whole = try CSVImport.importFile(path, mapping: mapping, into: reference)
            try await withTemporaryLedger { log in
                var reported: [Int] = []
                let result = try CSVImport.importFile(path, mapping: mapping, into: log, batchSize: 7) { done, total in
                    #expect(total == whole.events)
                    reported.append(done)
                }
                #expect(result.appended == whole.events)
                #expect(reported == Array(stride(from: 7, to: whole.events, by: 7)) + [whole.events])
                // The same records, byte for byte but for the append times: the same events in the same order.
                #expect(try log.read(from: 1, limit: .max).map(\.event) == reference.read(from: 1, limit: .max).map(\.event))
            }
        }
        try await withTemporaryLedger { log in
            log.close()
            #expect(throws: EventLogError.self) { try CSVImport.importFile(path, mapping: mapping, into: log, batchSize: 7) }
        }
    }

    @Test("times in a layout, with fractions and offsets")
    func timeLayouts() {
        func parse(_ text: String, _ format: String?) -> String? {
            ImportMapping(caseColumn: "c", activityColumn: "a", timeColumn: "t", timeFormat: format).parseTime(text)?.description
        }
        #expect(parse("2012/10/09 14:50:17.000", "yyyy/MM/dd HH:mm:ss.SSS") == "2012-10-09T14:50:17.000000Z")
        #expect(parse("09.10.2012 14:50", "dd.MM.yyyy HH:mm") == "2012-10-09T14:50:00.000000Z")
        #expect(parse("2012-10-09 14:50:17.5+01:00", "yyyy-MM-dd HH:mm:ss.S") == "2012-10-09T13:50:17.500000Z")
        #expect(parse("2012-10-09 14:50:17-0230", "yyyy-MM-dd HH:mm:ss") == "2012-10-09T17:20:17.000000Z")
        #expect(parse("2012-03-15 11:53:52+00:00", nil) == "2012-03-15T11:53:52.000000Z")
        #expect(parse("2012/13/09 14:50:17.000", "yyyy/MM/dd HH:mm:ss.SSS") == nil)
        #expect(parse("2012/10/09", "yyyy/MM/dd HH:mm:ss.SSS") == nil)
        #expect(parse("yesterday", nil) == nil)
    }

    @Test("bad input names the file, line and column, and writes nothing; --skip-invalid counts and lists the rows")
    func badInput() async throws {
        try await withTemporaryDirectory { path in
            let file = path + "/bad.csv"
            try """
                case,activity,time,who
                T1,Open,2024-03-01T08:00:00Z,ann
                T1,Work,2024-03-01T09:00:00Z,ann
                T2,Open,yesterday,bo
                ,Open,2024-03-01T10:00:00Z,bo
                T3,Open,2024-03-01T11:00:00Z
                T1,Close,2024-03-01T12:00:00Z,ann

                """.write(toFile: file, atomically: true, encoding: .utf8)
            let mapping = ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time", resourceColumn: "who", activities: ["Open": "registered", "Close": "closed"])
            try await withTemporaryLedger { log in
                let error = #expect(throws: ImportError.self) { try CSVImport.importFile(file, mapping: mapping, into: log) }
                #expect(error?.description == "\(file), line 4, column 'time': 'yesterday' is not a time in ISO 8601")
                #expect(try log.lastPosition() == 0)
                let metrics = TestMetrics()
                let result = try CSVImport.importFile(file, mapping: mapping, into: log, skipInvalid: true, skippedFile: path + "/skipped.txt", metricsFactory: metrics)
                #expect(result.events == 3)
                #expect(result.skipped == 3)
                #expect(try metrics.expectCounter(LedgerMetricLabel.importRows, [("format", "csv"), ("outcome", "imported")]).totalValue == 3)
                #expect(try metrics.expectCounter(LedgerMetricLabel.importRows, [("format", "csv"), ("outcome", "skipped")]).totalValue == 3)
                let skipped = try String(contentsOfFile: path + "/skipped.txt", encoding: .utf8)
                #expect(skipped.contains("line 5, column 'case': the case id is missing"))
                #expect(skipped.contains("line 6, column 'who': 3 fields where the header has 4"))
                #expect(try log.readStream("T1").map(\.type) == ["TicketRegistered", "ActivityRecorded", "TicketClosed"])
            }
            let missing = #expect(throws: ImportError.self) {
                try withTemporaryLedgerSync { try CSVImport.importFile(file, mapping: ImportMapping(caseColumn: "ticket", activityColumn: "activity", timeColumn: "time"), into: $0) }
            }
            #expect(missing?.description.contains("no column 'ticket' in the header") == true)
        }
    }

    @Test("the whole shared logs import with every event and case, and the README's activity counts",
          .enabled(if: FileManager.default.fileExists(atPath: sharedData.appendingPathComponent("helpdesk.csv").path), "needs ../shared/data"))
    func sharedLogs() async throws {
        let expectations: [(String, String, Int, Int, [String: Int])] = [
            ("helpdesk.csv", "helpdesk", 21_348, 4_580, [
                "Take in charge ticket": 5060, "Resolve ticket": 4983, "Assign seriousness": 4938, "Closed": 4574, "Wait": 1463,
                "Require upgrade": 119, "Insert ticket": 118, "Create SW anomaly": 67, "Resolve SW anomaly": 13,
                "Schedule intervention": 5, "VERIFIED": 3, "RESOLVED": 2, "INVALID": 2, "DUPLICATE": 1,
            ]),
            ("bpi2013_closed_problems.csv", "bpi2013-problems", 6_660, 1_487, ["Accepted": 4207, "Completed": 1568, "Queued": 875, "Unmatched": 10]),
        ]
        for (file, preset, events, cases, activities) in expectations {
            try await withTemporaryLedger { log in
                let result = try CSVImport.importFile(sharedData.appendingPathComponent(file).path, mapping: try ImportMapping.preset(preset), into: log)
                #expect(result.events == events)
                #expect(result.cases == cases)
                #expect(try ledgerActivityCounts(log) == activities)
            }
        }
    }
}

/// A temporary ledger for synchronous code.
func withTemporaryLedgerSync<T>(_ body: (EventLog) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ticketledger-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let log = try EventLog(path: path, configuration: EventLogConfiguration(durability: .buffered))
    defer { log.close() }
    return try body(log)
}
