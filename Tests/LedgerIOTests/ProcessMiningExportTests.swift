import EventLog
import Foundation
import LedgerIO
import Testing
import TicketLedger
import TicketLedgerTesting

/// The package's root folder, from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python with pm4py: $TICKETLEDGER_PYTHON, or the venv `make test` creates.
let pm4pyPython: String? = {
    let candidates: [String?] = [ProcessInfo.processInfo.environment["TICKETLEDGER_PYTHON"], packageRoot.appendingPathComponent(".build/pyvenv/bin/python").path]
    return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

func exported(_ log: EventLog, _ export: (EventLog, (String) throws -> Void) throws -> Void) throws -> String {
    var text = ""
    try export(log) { text += $0 }
    return text
}

/// Compares `text` with the golden file `name` (UPDATE_GOLDEN=1 rewrites it, for deliberate changes).
func expectGolden(_ text: String, _ name: String) throws {
    let golden = packageRoot.appendingPathComponent("Tests/LedgerIOTests/Golden/" + name)
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try text.write(to: golden, atomically: true, encoding: .utf8)
    }
    #expect(text == (try String(contentsOf: golden, encoding: .utf8)), "\(name) differs from its golden file")
}

@Suite("Process-mining and spreadsheet exports")
struct ProcessMiningExportTests {
    @Test("CSV, XES and OCEL 2.0 of a small fixed ledger equal their golden files")
    func golden() async throws {
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            try expectGolden(try exported(log) { try CSVExport.export($0, write: $1) }, "small.csv")
            try expectGolden(try exported(log) { try XESExport.export($0, write: $1) }, "small.xes")
            try expectGolden(try exported(log) { try OCELExport.export($0, write: $1) }, "small.ocel.json")
        }
    }

    @Test("XES lifecycle transitions follow the events")
    func lifecycle() async throws {
        try await withTemporaryDirectory { path in
            let log = try smallLedger(path + "/small")
            defer { log.close() }
            let xes = try exported(log) { try XESExport.export($0, write: $1) }
            #expect(xes.contains("value=\"TicketAssigned\"/><date key=\"time:timestamp\" value=\"2024-05-01T08:30:01.000Z\"/><string key=\"lifecycle:transition\" value=\"assign\"/>"))
            #expect(xes.contains("value=\"TicketResolved\"/><date key=\"time:timestamp\" value=\"2024-05-01T08:43:20.000Z\"/><string key=\"lifecycle:transition\" value=\"complete\"/>"))
        }
    }

    @Test("pm4py reads the XES and OCEL exports of a simulated ledger: traces, events, timestamps, case durations",
          .enabled(if: pm4pyPython != nil, "needs a Python with pm4py ($TICKETLEDGER_PYTHON or .build/pyvenv, which `make test` installs)"))
    func pm4py() async throws {
        try await withTemporaryDirectory { path in
            _ = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 4, tickets: 300, days: 30)).generate(at: path + "/ledger")
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(access: .readOnly))
            defer { log.close() }
            // The ledger's own numbers: streams (tickets and problems), events, and each case's duration.
            var durations: [String: Double] = [:]
            var events = 0
            var ticketEvents = 0
            try log.forEachStream { stream, _ in
                guard !stream.hasPrefix("$") else { return }
                let times = try log.readStream(stream).map(\.event.occurredAt.microseconds)
                events += times.count
                if !stream.hasPrefix("PRB-") { ticketEvents += times.count }
                durations[stream] = Double(times.max()! - times.min()!) / 1_000_000
            }
            let tickets = durations.filter { !$0.key.hasPrefix("PRB-") }
            #expect(tickets.count < durations.count, "the simulation opens a problem record")
            try exported(log) { try XESExport.export($0, write: $1) }.write(toFile: path + "/log.xes", atomically: true, encoding: .utf8)
            // Problem records are a case notion of their own.
            let problems = try exported(log) { try XESExport.export($0, caseNotion: .problem, write: $1) }
            #expect(problems.components(separatedBy: "<trace>").count - 1 == durations.count - tickets.count)
            #expect(!problems.contains("INC-") && problems.contains("PRB-"))
            try exported(log) { try OCELExport.export($0, write: $1) }.write(toFile: path + "/log.ocel.json", atomically: true, encoding: .utf8)
            let script = """
                import json, sys, pm4py
                log = pm4py.read_xes(sys.argv[1])
                groups = log.groupby("case:concept:name")["time:timestamp"]
                durations = {case: (t.max() - t.min()).total_seconds() for case, t in groups}
                ocel = pm4py.read_ocel2_json(sys.argv[2])
                print("RESULT " + json.dumps({
                    "traces": int(log["case:concept:name"].nunique()), "events": len(log),
                    "emptyTimestamps": int(log["time:timestamp"].isna().sum()), "emptyCases": int(log["case:concept:name"].isna().sum()),
                    "durations": durations, "ocelEvents": len(ocel.events), "ocelUniqueIds": int(ocel.events["ocel:eid"].nunique()),
                    "ocelTickets": int((ocel.objects["ocel:type"] == "ticket").sum())}))
                """
            try script.write(toFile: path + "/check.py", atomically: true, encoding: .utf8)
            let run = try runProcess(pm4pyPython!, [path + "/check.py", path + "/log.xes", path + "/log.ocel.json"])
            #expect(run.status == 0)
            let output = run.out
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
            let result = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any])
            #expect(result["traces"] as? Int == tickets.count)
            #expect(result["events"] as? Int == ticketEvents)
            #expect(result["emptyTimestamps"] as? Int == 0)
            #expect(result["emptyCases"] as? Int == 0)
            #expect(result["ocelEvents"] as? Int == events)
            #expect(result["ocelUniqueIds"] as? Int == events)
            #expect(result["ocelTickets"] as? Int == durations.keys.filter { !$0.hasPrefix("PRB-") }.count)
            let read = try #require(result["durations"] as? [String: Double])
            // XES keeps milliseconds: durations agree to within 2 ms.
            #expect(read.count == tickets.count)
            #expect(tickets.allSatisfy { case_, seconds in abs((read[case_] ?? -1) - seconds) < 0.002 })
        }
    }
}

@Suite("Imported attributes in the exports")
struct ImportedAttributeExportTests {
    @Test("OCEL ticket objects carry an import's product and customer, declared in the object type")
    func ocelAttributes() async throws {
        try await withTemporaryLedger { log in
            _ = try CSVImport.importFile(fixtures.appendingPathComponent("helpdesk-excerpt.csv").path, mapping: try ImportMapping.preset("helpdesk"), into: log)
            let ocel = try exported(log) { try OCELExport.export($0, write: $1) }
            let document = try #require(try JSONSerialization.jsonObject(with: Data(ocel.utf8)) as? [String: Any])
            let objects = try #require(document["objects"] as? [[String: Any]])
            let case1 = try #require(objects.first { $0["id"] as? String == "Case 1" })
            let names = Set((case1["attributes"] as! [[String: Any]]).map { $0["name"] as! String })
            #expect(names.isSuperset(of: ["product", "client", "seriousness", "category", "group", "service"]))
            #expect(!names.contains("source.line"))
            #expect(!names.contains("priority"), "the log states no priority: none is written")
            let types = try #require(document["objectTypes"] as? [[String: Any]])
            let ticketType = try #require(types.first { $0["name"] as? String == "ticket" })
            let declared = Set((ticketType["attributes"] as! [[String: Any]]).map { $0["name"] as! String })
            #expect(declared.isSuperset(of: names))
        }
    }
}

@Suite("Import, export to XES, read with pm4py")
struct ImportRoundTripTests {
    @Test("the same traces, events and case durations as the CSV",
          .enabled(if: pm4pyPython != nil, "needs a Python with pm4py ($TICKETLEDGER_PYTHON or .build/pyvenv, which `make test` installs)"))
    func roundTrip() async throws {
        let shared = packageRoot.appendingPathComponent("../shared/data/helpdesk.csv").standardized.path
        let source = FileManager.default.fileExists(atPath: shared) ? shared : fixtures.appendingPathComponent("helpdesk-excerpt.csv").path
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            _ = try CSVImport.importFile(source, mapping: try ImportMapping.preset("helpdesk"), into: log)
            try exported(log) { try XESExport.export($0, write: $1) }.write(toFile: path + "/log.xes", atomically: true, encoding: .utf8)
            let script = """
                import csv, datetime, json, sys, pm4py
                cases = {}
                with open(sys.argv[1], newline="") as f:
                    for row in csv.DictReader(f):
                        t = datetime.datetime.strptime(row["Complete Timestamp"], "%Y/%m/%d %H:%M:%S.%f")
                        cases.setdefault(row["Case ID"], []).append((t, row["Activity"]))
                log = pm4py.read_xes(sys.argv[2])
                mined = {c: ((g["time:timestamp"].max() - g["time:timestamp"].min()).total_seconds(), sorted(g["concept:name"]))
                         for c, g in log.groupby("case:concept:name")}
                same = all(abs(mined[c][0] - (max(t for t, _ in rows) - min(t for t, _ in rows)).total_seconds()) < 0.002
                           and mined[c][1] == sorted(a for _, a in rows) for c, rows in cases.items())
                print("RESULT " + json.dumps({"csvCases": len(cases), "xesCases": len(mined), "csvEvents": sum(map(len, cases.values())),
                                              "xesEvents": len(log), "same": same}))
                """
            try script.write(toFile: path + "/check.py", atomically: true, encoding: .utf8)
            let output = try runProcess(pm4pyPython!, [path + "/check.py", source, path + "/log.xes"]).out
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
            let result = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any])
            #expect(result["xesCases"] as? Int == result["csvCases"] as? Int)
            #expect(result["xesEvents"] as? Int == result["csvEvents"] as? Int)
            #expect(result["same"] as? Bool == true, "every case has the CSV's activities and duration")
        }
    }
}
