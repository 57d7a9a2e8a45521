import EventLog
import Foundation
import LedgerIO
import Testing
import TicketLedger
import TicketLedgerTesting

/// Writes `text` to `name` in `directory` and returns its path.
func writeCSV(_ directory: String, _ name: String, _ text: String) throws -> String {
    let path = directory + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The snapshot mapping the refusal tests use.
let snapshotMapping = ImportMapping(
    caseColumn: "number", activityColumn: nil, timeColumn: "updated", timeFormat: "d-M-yyyy H:mm",
    attributes: ["priority": "priority", "impact": "impact", "made_sla": "sla.made"],
    snapshot: SnapshotMapping(state: "state", states: ["New": "new", "Active": "active", "Closed": "closed"], sequence: "mods"))

@Suite("Imported values are parsed or refused")
struct ImportValueTests {
    /// Imports `csv` with `mapping`; expects an error whose text is `message`
    /// with the file's path in front, and nothing written.
    func expectRefusal(_ csv: String, mapping: ImportMapping, _ message: String) async throws {
        try await withTemporaryDirectory { directory in
            let file = try writeCSV(directory, "export.csv", csv)
            try await withTemporaryLedger { log in
                let error = #expect(throws: ImportError.self) { try CSVImport.importFile(file, mapping: mapping, into: log) }
                #expect(error?.description == "\(file), \(message)")
                let written = try log.lastPosition()
                #expect(written == 0, "nothing is written when a row is refused")
            }
        }
    }

    @Test("priority, impact and urgency in the forms real tools write")
    func forms() async throws {
        let rows = ["1", "P1", "1 - Critical", "Critical", "High", "2 - High", "3 - Moderate", "Medium", "Low", "5 - Planning", " p4 "]
        let expected: [Priority] = [1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 4]
        try await withTemporaryDirectory { directory in
            let csv = "case,activity,time,priority,impact\n"
                + rows.enumerated().map { "T\($0.offset),Open,2024-03-01T08:00:00Z,\($0.element),\(["High", "2 - Medium", "low", "Major"][$0.offset % 4])" }.joined(separator: "\n") + "\n"
            let file = try writeCSV(directory, "forms.csv", csv)
            let mapping = ImportMapping(
                caseColumn: "case", activityColumn: "activity", timeColumn: "time", attributes: ["priority": "priority", "impact": "impact"],
                activities: ["Open": "registered"])
            try await withTemporaryLedger { log in
                let result = try CSVImport.importFile(file, mapping: mapping, into: log)
                #expect(result.notes.contains("priorities: 11 of 11 rows state one"))
                for (index, priority) in expected.enumerated() {
                    let event = try #require(try log.readStream("T\(index)").first)
                    guard case .registered(let registration)? = try TicketEventCodec.decode(event)?.body else {
                        Issue.record("T\(index) is not a registration")
                        continue
                    }
                    #expect(registration.priority == priority, "'\(rows[index])'")
                    #expect(registration.impact == [Impact.high, .medium, .low, .high][index % 4])
                }
            }
        }
    }

    @Test("an unrecognised priority is an error naming file, line and column")
    func unknownPriority() async throws {
        try await expectRefusal(
            "case,activity,time,priority\nT1,Open,2024-03-01T08:00:00Z,1 - Critical\nT2,Open,2024-03-01T09:00:00Z,Urgent-ish\n",
            mapping: ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time", attributes: ["priority": "priority"]),
            "line 3, column 'priority': 'Urgent-ish' is not a priority; it may be 1 to 5, P1 to P5, '1 - Critical', or Critical, High, Moderate, Medium, Low, Planning")
    }

    @Test("an unrecognised impact, a priority out of range and an SLA flag that is neither are refused")
    func otherValues() async throws {
        let header = "number,state,updated,mods,priority,impact,made_sla\n"
        try await expectRefusal(
            header + "INC1,New,1-3-2016 8:00,0,3,Huge,TRUE\n", mapping: snapshotMapping,
            "line 2, column 'impact': 'Huge' is not an impact; it may be 1 to 3, '1 - High', or High, Major, Critical, Medium, Moderate, Low, Minor")
        try await expectRefusal(
            header + "INC1,New,1-3-2016 8:00,0,9 - Lowest,1,TRUE\n", mapping: snapshotMapping,
            "line 2, column 'priority': '9 - Lowest' is not a priority; it may be 1 to 5, P1 to P5, '1 - Critical', or Critical, High, Moderate, Medium, Low, Planning")
        try await expectRefusal(
            header + "INC1,New,1-3-2016 8:00,0,3,1,maybe\n", mapping: snapshotMapping,
            "line 2, column 'made_sla': 'maybe' is not a sla.made; it may be true, false, yes, no, 1, 0, met, missed")
    }

    @Test("a state the mapping does not list, and a sequence that is not a number, are refused")
    func unknownState() async throws {
        let header = "number,state,updated,mods,priority,impact,made_sla\n"
        try await expectRefusal(
            header + "INC1,New,1-3-2016 8:00,0,3,1,TRUE\nINC1,On Hold,1-3-2016 9:00,1,3,1,TRUE\n", mapping: snapshotMapping,
            "line 3, column 'state': the state 'On Hold' is not in the mapping's states (Active, Closed, New)")
        try await expectRefusal(
            header + "INC1,New,1-3-2016 8:00,first,3,1,TRUE\n", mapping: snapshotMapping, "line 2, column 'mods': 'first' is not a whole number")
    }

    @Test("impossible dates are refused, in the file and in --from, --to and --as-of")
    func impossibleDates() async throws {
        try await expectRefusal(
            "case,activity,time\nT1,Open,2013-02-28T08:00:00Z\nT1,Close,2013-02-29T08:00:00Z\n",
            mapping: ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time"),
            "line 3, column 'time': '2013-02-29T08:00:00Z' is not a time in ISO 8601")
        try await expectRefusal(
            "number,state,updated,mods,priority,impact,made_sla\nINC1,New,31-4-2016 8:00,0,3,1,TRUE\n", mapping: snapshotMapping,
            "line 2, column 'updated': '31-4-2016 8:00' is not a time in the format d-M-yyyy H:mm")
        #expect(Timestamp(iso8601: "2012-02-29") != nil)
        #expect(Timestamp(iso8601: "2013-02-29") == nil)
        #expect(Timestamp(iso8601: "2100-02-29") == nil)
        #expect(Timestamp(iso8601: "2000-02-29") != nil)
        #expect(Timestamp(iso8601: "2024-04-31T00:00:00Z") == nil)
    }

    @Test("a second registration is an update, or refused with its line when the mapping says so")
    func repeatedRegistration() async throws {
        let csv = "case,activity,time\nT1,Open,2024-03-01T08:00:00Z\nT1,Work,2024-03-01T09:00:00Z\nT1,Open,2024-03-01T10:00:00Z\nT1,Done,2024-03-01T11:00:00Z\n"
        var mapping = ImportMapping(
            caseColumn: "case", activityColumn: "activity", timeColumn: "time", activities: ["Open": "registered", "Work": "workStarted", "Done": "resolved"])
        try await withTemporaryDirectory { directory in
            let file = try writeCSV(directory, "twice.csv", csv)
            try await withTemporaryLedger { log in
                let result = try CSVImport.importFile(file, mapping: mapping, into: log)
                #expect(result.notes.contains("1 registrations of cases already registered: applied as updates, their clocks kept"))
            }
        }
        mapping.repeatedRegistration = .refuse
        try await expectRefusal(
            csv, mapping: mapping,
            "line 4, column 'activity': a second registration of a case that is registered already (the mapping's repeatedRegistration is refuse)")
    }

    @Test("missing-value tokens are absent: never a case, a value or a configuration item")
    func missingValues() async throws {
        try await withTemporaryDirectory { directory in
            let file = try writeCSV(
                directory, "missing.csv", "case,activity,time,ci,priority\nT1,Open,2024-03-01T08:00:00Z,?,NULL\nT2,Open,2024-03-01T09:00:00Z,N/A,?\n?,Open,2024-03-01T10:00:00Z,CI-1,2\n")
            let mapping = ImportMapping(
                caseColumn: "case", activityColumn: "activity", timeColumn: "time", attributes: ["ci": "ci", "priority": "priority"], activities: ["Open": "registered"])
            try await withTemporaryLedger { log in
                let error = #expect(throws: ImportError.self) { try CSVImport.importFile(file, mapping: mapping, into: log) }
                #expect(error?.description == "\(file), line 4, column 'case': the case id is missing ('?')")
                let result = try CSVImport.importFile(file, mapping: mapping, into: log, skipInvalid: true)
                #expect(result.events == 2 && result.skipped == 1)
                #expect(result.notes.contains("priorities: 0 of 2 rows state one"))
                for stream in ["T1", "T2"] {
                    guard case .registered(let registration)? = try TicketEventCodec.decode(try log.readStream(stream)[0])?.body else {
                        Issue.record("\(stream) is not a registration")
                        continue
                    }
                    #expect(registration.configurationItems.isEmpty)
                    #expect(registration.priority == 0, "no priority stated: 0, never a default")
                }
            }
        }
    }

    @Test("a mapping with an unknown key, state kind or delimiter names it and lists what is allowed")
    func badMappings() async throws {
        try await withTemporaryDirectory { directory in
            let cases: [(String, String)] = [
                (#"{"case": "c", "activity": "a", "time": "t", "colour": "red"}"#, "unknown key 'colour'; the keys are case, activity, time, resource, timeFormat, timeZone, attributes, activities, missingValues, repeatedRegistration, delimiter, snapshot, personal"),
                (#"{"case": "c", "time": "t", "snapshot": {"state": "s", "states": {"Open": "opened"}}}"#, "state 'Open' maps to 'opened', which is not one of new, active, suspended, suspended:caller, suspended:vendor, suspended:change, suspended:problem, resolved, closed, cancelled"),
                (#"{"case": "c", "time": "t", "snapshot": {"state": "s", "states": {}, "colour": 1}}"#, "unknown key 'snapshot.colour'; the keys are snapshot.state, snapshot.stateDetail, snapshot.states, snapshot.sequence, snapshot.group, snapshot.agent, snapshot.lines, snapshot.opened, snapshot.resolved, snapshot.closed, snapshot.closeCode"),
                (#"{"case": "c", "activity": "a", "time": "t", "delimiter": "|"}"#, "the delimiter '|' is not one of ',', ';', '\\t'"),
                (#"{"case": "c", "time": "t"}"#, "an event log needs the key 'activity' (the activity column); a status snapshot needs 'snapshot'"),
                (#"{"case": "c", "activity": "a", "time": "t", "timeZone": "Mars/Olympus"}"#, "mapping: 'Mars/Olympus' is not a time zone (IANA names such as Europe/Rome or UTC)"),
                (#"{"case": "c", "activity": "a", "time": "t", "activities": {"Open": "opened"}}"#, "activity 'Open' maps to 'opened', which is not one of assigned, cancelled, closed, registered, reopened, resolved, resumed, suspended, workStarted"),
            ]
            for (json, message) in cases {
                let path = try writeCSV(directory, "mapping.json", json)
                let error = #expect(throws: ImportError.self) { try ImportMapping.load(path) }
                #expect(error?.description.hasSuffix(message) == true, "\(error?.description ?? "")")
            }
        }
    }

    @Test("CSV as real exports come: byte-order mark, ; and tab, CRLF, unpadded 12-hour times, month names, a time zone")
    func realCSV() async throws {
        try await withTemporaryDirectory { directory in
            let semicolons = try writeCSV(directory, "semicolons.csv", "\u{FEFF}case;activity;time\r\nT1;Open;1/3/2024 8:05 AM\r\nT1;Done;12/3/2024 1:30 PM\r\n")
            let tabs = try writeCSV(directory, "tabs.csv", "case\tactivity\ttime\nT1\tOpen\t01 Mar 2024 08:05\nT1\tDone\t12 March 2024 13:30\n")
            let mapping = ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time", timeFormat: "d/M/yyyy h:mm a", timeZone: "Europe/Rome")
            try await withTemporaryLedger { log in
                _ = try CSVImport.importFile(semicolons, mapping: mapping, into: log)
                // Rome is UTC+1 in March before the last Sunday.
                #expect(try log.readStream("T1").map(\.event.occurredAt.description) == ["2024-03-01T07:05:00.000000Z", "2024-03-12T12:30:00.000000Z"])
            }
            var months = mapping
            months.timeFormat = "dd MMM yyyy HH:mm"
            months.timeZone = nil
            try await withTemporaryLedger { log in
                _ = try CSVImport.importFile(tabs, mapping: months, into: log)
                #expect(try log.readStream("T1").map(\.event.occurredAt.description) == ["2024-03-01T08:05:00.000000Z", "2024-03-12T13:30:00.000000Z"])
            }
            months.timeFormat = "dd MMMM yyyy HH:mm"
            let full = try writeCSV(directory, "full.csv", "case\tactivity\ttime\nT1\tDone\t12 March 2024 13:30\n")
            try await withTemporaryLedger { log in
                _ = try CSVImport.importFile(full, mapping: months, into: log)
                #expect(try log.readStream("T1").map(\.event.occurredAt.description) == ["2024-03-12T13:30:00.000000Z"])
            }
            #expect(ImportMapping(caseColumn: "c", activityColumn: "a", timeColumn: "t", timeFormat: "d/M/yyyy h:mm a").parseTime("1/3/2024 12:05 AM")?.description == "2024-03-01T00:05:00.000000Z")
            #expect(ImportMapping(caseColumn: "c", activityColumn: "a", timeColumn: "t", timeFormat: "d/M/yyyy h:mm a").parseTime("1/3/2024 13:05 PM") == nil)
        }
    }

    @Test("the mapping reference documents every key, state kind and parsed field, and its ServiceNow example imports as the preset does")
    func reference() async throws {
        let article = try String(contentsOf: packageRoot.appendingPathComponent("Sources/LedgerIO/LedgerIO.docc/MappingReference.md"), encoding: .utf8)
        let documented = ["case", "activity", "time", "resource", "timeFormat", "timeZone", "attributes", "activities", "missingValues", "repeatedRegistration", "delimiter", "snapshot"]
            + ["state", "stateDetail", "states", "sequence", "group", "agent", "lines", "opened", "resolved", "closed", "closeCode"]
            + ["new", "active", "suspended:caller", "suspended:vendor", "suspended:change", "suspended:problem", "cancelled"]
            + ["registered", "assigned", "workStarted", "resumed", "reopened", "priority", "impact", "urgency", "sla.made"]
        for key in documented { #expect(article.contains("`\(key)`"), "the article does not name `\(key)`") }
        // Every preset loads.
        for name in ImportMapping.presetNames { _ = try ImportMapping.preset(name) }
        // The example block is a working mapping: the same events as the preset.
        let start = try #require(article.range(of: "```json\n"))
        let end = try #require(article.range(of: "\n```", range: start.upperBound..<article.endIndex))
        try await withTemporaryDirectory { directory in
            let map = try writeCSV(directory, "servicenow.json", String(article[start.upperBound..<end.lowerBound]))
            let file = fixtures.appendingPathComponent("servicenow-incidents.csv").path
            let example = try await withTemporaryLedger { log in
                _ = try CSVImport.importFile(file, mapping: try ImportMapping.load(map), into: log)
                return try log.read(from: 1).map { "\($0.streamID) \($0.type) \($0.event.occurredAt)" }
            }
            let preset = try await withTemporaryLedger { log in
                _ = try CSVImport.importFile(file, mapping: try ImportMapping.preset("servicenow"), into: log)
                return try log.read(from: 1).map { "\($0.streamID) \($0.type) \($0.event.occurredAt)" }
            }
            #expect(example == preset)
            #expect(example.count > 40)
        }
    }

    @Test("what the ledger cannot hold is refused in the checking pass: nothing written, the line named; --skip-invalid skips it")
    func limits() async throws {
        let good = (0..<25_000).map { "T\($0 % 97),Step,2024-03-01T08:00:00Z" }.joined(separator: "\n")
        let mapping = ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time")
        let cases: [(String, String)] = [
            ("T1,\(String(repeating: "x", count: 10 << 20)),2024-03-02T08:00:00Z", "line 25002, column 'activity': the field has 10485760 bytes; a field holds at most 1048576"),
            ("\(String(repeating: "c", count: 600)),Step,2024-03-02T08:00:00Z", "line 25002, column 'case': the case id has 600 bytes; a stream id holds at most 500"),
        ]
        for (bad, message) in cases {
            try await expectRefusal("case,activity,time\n" + good + "\n" + bad + "\n", mapping: mapping, message)
            try await withTemporaryDirectory { directory in
                let file = try writeCSV(directory, "skip.csv", "case,activity,time\n" + good + "\n" + bad + "\n")
                try await withTemporaryLedger { log in
                    let result = try CSVImport.importFile(file, mapping: mapping, into: log, skipInvalid: true)
                    #expect(result.skipped == 1 && result.appended == 25_000)
                }
            }
        }
    }

    @Test("invalid UTF-8 is an error naming the line, never two case ids merged into one")
    func invalidUTF8() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/bytes.csv"
            var bytes = Array("case,activity,time\n".utf8)
            bytes += Array("C".utf8) + [0xFF] + Array("1,Open,2024-03-01T08:00:00Z\n".utf8)
            bytes += Array("C".utf8) + [0xFE] + Array("1,Open,2024-03-01T09:00:00Z\n".utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            try await withTemporaryLedger { log in
                let mapping = ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time")
                let error = #expect(throws: ImportError.self) { try CSVImport.importFile(file, mapping: mapping, into: log) }
                #expect(error?.description == "\(file), line 2, column 'case': the field is not valid UTF-8")
                let result = try CSVImport.importFile(file, mapping: mapping, into: log, skipInvalid: true)
                #expect(result.skipped == 2 && result.events == 0)
            }
        }
    }

    @Test("idempotency follows the file's contents: the same export under another name is stored once; identical rows are two events")
    func sameContentsOtherName() async throws {
        try await withTemporaryDirectory { directory in
            let csv = "case,activity,time\nT1,Open,2024-03-01T08:00:00Z\nT1,Note,2024-03-01T09:00:00Z\nT1,Note,2024-03-01T09:00:00Z\n"
            let first = try writeCSV(directory, "export-march.csv", csv)
            let second = try writeCSV(directory, "export-march (1).csv", csv)
            let mapping = ImportMapping(caseColumn: "case", activityColumn: "activity", timeColumn: "time", activities: ["Open": "registered"])
            try await withTemporaryLedger { log in
                #expect(try CSVImport.importFile(first, mapping: mapping, into: log).appended == 3)
                #expect(try CSVImport.importFile(second, mapping: mapping, into: log).appended == 0)
                // A later export that repeats the first rows and adds one: only the new row goes in.
                let later = try writeCSV(directory, "export-april.csv", csv + "T1,Close,2024-04-01T09:00:00Z\n")
                #expect(try CSVImport.importFile(later, mapping: mapping, into: log).appended == 1)
                #expect(try log.readStream("T1").map(\.type) == ["TicketRegistered", "ActivityRecorded", "ActivityRecorded", "ActivityRecorded"])
            }
        }
    }
}
