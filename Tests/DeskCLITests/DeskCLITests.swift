import Foundation
import Testing
import TicketLedgerTesting

/// Runs the built `desk` with `arguments`.
func desk(_ arguments: String..., environment: [String: String] = [:]) throws -> ProcessOutput {
    try runProcess(builtExecutable("desk"), arguments, environment: environment)
}

func json(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("desk, the command-line tool")
struct DeskCLITests {
    @Test("every command runs on a generated ledger and its JSON has the documented keys")
    func everyCommand() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let created = try desk("init", "--ledger", ledger, "--name", "Retail IT", "--model", "virtual")
            #expect(created.status == 0, "\(created.err)")
            let generated = try desk("generate", "--ledger", ledger, "--tickets", "300", "--days", "30", "--json")
            #expect(generated.status == 0, "\(generated.err)")
            #expect(try json(generated.out)["tickets"] as? Int == 300)

            let stats = try json(try desk("stats", "--ledger", ledger, "--json").out)
            for key in ["events", "tickets", "lastPosition", "chainHead", "problems", "firstEventAt", "lastEventAt", "fileSizeBytes", "bytesPerEvent"] {
                #expect(stats[key] != nil, "stats lacks \(key)")
            }
            #expect(stats["tickets"] as? Int == 300)

            let verify = try desk("verify", "--ledger", ledger, "--json")
            #expect(verify.status == 0)
            #expect(try json(verify.out)["valid"] as? Bool == true)
            #expect(try json(verify.out)["events"] as? Int == stats["events"] as? Int)

            let metrics = try desk("metrics", "--ledger", ledger, "--by", "channel", "--from", "2024-01-05", "--to", "2024-01-25T12:00:00Z", "--json")
            #expect(metrics.status == 0, "\(metrics.err)")
            let m = try json(metrics.out)
            for key in ["registered", "resolved", "closed", "firstContactResolutionRate", "firstLineResolutionRate", "meanTimeToResolveSeconds",
                        "medianTimeToResolveSeconds", "p90TimeToResolveSeconds", "slaResolutionComplianceRate", "escalationRate",
                        "reassignmentRate", "reopenRate", "backlog", "satisfactionMean", "groups"] {
                #expect(m.keys.contains(key), "metrics lacks \(key)")
            }
            let groups = try #require(m["groups"] as? [[String: Any]])
            #expect(groups.allSatisfy { $0["key"] is String && $0["registered"] is Int })
            #expect(m["to"] as? String == "2024-01-25T12:00:00.000000Z")

            let queues = try json(try desk("queues", "--ledger", ledger, "--line", "second", "--json").out)
            #expect(queues["open"] is Int)
            #expect((queues["byLine"] as? [[String: Any]])?.allSatisfy { $0["key"] as? String == "2nd line" } == true)

            let problems = try json(try desk("problems", "--ledger", ledger, "--by", "service", "--top", "3", "--json").out)
            let areas = try #require(problems["areas"] as? [[String: Any]])
            #expect(areas.count == 3)
            #expect(areas.allSatisfy { $0["key"] != nil && $0["incidents"] != nil && $0["share"] != nil && $0["cumulativeShare"] != nil })
            #expect(problems["emerging"] is [Any])

            let replay = try desk("replay", "--ledger", ledger, "--position", "500", "--json")
            #expect(try json(replay.out)["position"] as? Int == 500)
            let until = try desk("replay", "--ledger", ledger, "--until", "2024-01-10")
            #expect(until.status == 0)
            #expect(until.out.contains("Top problem areas"))

            let history = try json(try desk("history", "--ledger", ledger, "INC-000001", "--json").out)
            let events = try #require(history["events"] as? [[String: Any]])
            #expect(events.first?["type"] as? String == "TicketRegistered")
            #expect(events.map { $0["version"] as? Int } == Array(1...events.count))

            let tail = try desk("tail", "--ledger", ledger, "--count", "3")
            #expect(tail.out.split(separator: "\n").count == 3)
            // The ledger from the environment variable.
            #expect(try desk("stats", environment: ["DESK_LEDGER": ledger]).status == 0)
        }
    }

    @Test("clear messages and exit codes for a missing ledger, a bad date, an unknown value")
    func errors() async throws {
        try await withTemporaryDirectory { path in
            let missing = try desk("stats", "--ledger", path + "/nothing-here")
            #expect(missing.status == 1)
            #expect(missing.err.contains("no ledger at '\(path)/nothing-here'"))
            #expect(!missing.err.contains("Stack") && !missing.err.contains("Fatal"))
            _ = try desk("init", "--ledger", path + "/l")
            let badDate = try desk("metrics", "--ledger", path + "/l", "--from", "2024-02-30x")
            #expect(badDate.status == 64)
            #expect(badDate.err.contains("The value '2024-02-30x' is invalid for '--from <time>'"))
            // Days that do not exist are refused, not rolled over into the next month.
            for (option, day) in [("--from", "2013-02-29"), ("--to", "2024-04-31"), ("--from", "2023-02-29T10:00:00Z")] {
                let impossible = try desk("metrics", "--ledger", path + "/l", option, day)
                #expect(impossible.status == 64, "\(option) \(day)")
                #expect(impossible.err.contains("The value '\(day)' is invalid for '\(option) <time>'"))
            }
            let impossibleAsOf = try desk("replay", "--ledger", path + "/l", "--until", "2013-02-29")
            #expect(impossibleAsOf.status == 64)
            // Numeric arguments out of bounds are refused, never a trap or a 35 GB allocation.
            for arguments in [["tail", "--count=-5"], ["generate", "--days", "200000000"], ["generate", "--tickets", "0"], ["demo", "--tickets", "-1"],
                              ["history", ""], ["history", String(repeating: "x", count: 501)], ["queues", "--limit", "-1"], ["problems", "--top", "0"]] {
                let refused = try runProcess(builtExecutable("desk"), [arguments[0], "--ledger", path + "/l"] + arguments.dropFirst())
                #expect(refused.status == 64, "\(arguments): \(refused.err)")
                #expect(refused.err.contains("Error:"), "\(arguments)")
            }
            let caseNotion = try desk("export", "--ledger", path + "/l", "--format", "csv", "--case", "problem")
            #expect(caseNotion.status == 64)
            #expect(caseNotion.err.contains("--case applies to --format xes only"))
            let badValue = try desk("problems", "--ledger", path + "/l", "--by", "agent")
            #expect(badValue.status == 64)
            // ArgumentParser lists the values problems takes (and --help lists the same).
            #expect(badValue.err.contains("The value 'agent' is invalid for '--by <by>'") && badValue.err.contains("  - group\n"), "\(badValue.err)")
            let unknown = try desk("metrics", "--ledger", path + "/l", "--by", "mood")
            #expect(unknown.status == 64)
            let noTicket = try desk("history", "--ledger", path + "/l", "INC-424242")
            #expect(noTicket.err.contains("no ticket or problem INC-424242"))
            let noLedger = try desk("stats")
            #expect(noLedger.err.contains("pass --ledger PATH or set DESK_LEDGER"))
        }
    }

    @Test("desk verify on a ledger with one flipped byte exits 1 and names the position")
    func verifyFlippedByte() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try desk("generate", "--ledger", ledger, "--tickets", "50", "--days", "10")
            try rewriteRecord(ledger: ledger, position: 123) { $0[150] ^= 0x01 }
            let verify = try desk("verify", "--ledger", ledger)
            #expect(verify.status == 1)
            #expect(verify.out.contains("INVALID at position 123"))
            let asJSON = try json(try desk("verify", "--ledger", ledger, "--json").out)
            #expect(asJSON["valid"] as? Bool == false)
            #expect(asJSON["firstBadPosition"] as? Int == 123)
            // An index that files an event under another ticket is found too, and named.
            try rewriteRecord(ledger: ledger, position: 123) { $0[150] ^= 0x01 }
            let history = try json(try desk("history", "--ledger", ledger, "INC-000001", "--json").out)
            let first = try #require((history["events"] as? [[String: Any]])?.first?["position"] as? Int)
            try editIndex(ledger: ledger, index: .streams, key: Array("INC-000001".utf8), remove: UInt64(first), add: 123)
            let indexed = try desk("verify", "--ledger", ledger)
            #expect(indexed.status == 1)
            #expect(indexed.out.contains("the streams index puts stream 'INC-000001' version"), "\(indexed.out)")
        }
    }

    @Test("desk export writes JSON Lines that desk verify --export accepts, and rejects once edited")
    func exportAndVerify() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try desk("generate", "--ledger", ledger, "--tickets", "50", "--days", "10")
            let file = path + "/export.jsonl"
            let exported = try desk("export", "--ledger", ledger, "--format", "jsonl", "--output", file)
            #expect(exported.status == 0, "\(exported.err)")
            let good = try desk("verify", "--export", file, "--json")
            #expect(good.status == 0)
            #expect(try json(good.out)["valid"] as? Bool == true)
            var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
            lines.remove(at: 10)
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let bad = try desk("verify", "--export", file)
            #expect(bad.status == 1)
            #expect(bad.out.contains("INVALID at line 11"))
            let oneTicket = try desk("export", "--ledger", ledger, "--ticket", "INC-000003")
            #expect(oneTicket.out.split(separator: "\n").dropFirst().dropLast().allSatisfy { $0.contains("\"streamId\":\"INC-000003\"") })
            // Signed: the key's holder, and only that key, vouches for the ticket being complete.
            let key = path + "/signer.key"
            #expect(try desk("keygen", "--name", "desk.example.com/ledger", "--output", key).status == 0)
            let ticketFile = path + "/inc3.jsonl"
            let signed = try desk("export", "--ledger", ledger, "--ticket", "INC-000003", "--key", key, "--output", ticketFile)
            #expect(signed.status == 0 && !signed.err.contains("not signed"), "\(signed.err)")
            #expect(try desk("export", "--ledger", ledger, "--ticket", "INC-000003", "--output", path + "/unsigned.jsonl").err.contains("not signed"))
            let checked = try desk("verify", "--export", ticketFile, "--key", key + ".pub")
            #expect(checked.status == 0)
            #expect(checked.out.contains("complete up to it: INC-000003") && checked.out.contains("signed by desk.example.com/ledger"), "\(checked.out)")
            let unchecked = try desk("verify", "--export", ticketFile)
            #expect(unchecked.status == 0 && unchecked.out.contains("signature NOT checked"), "\(unchecked.out)")
            var ticketLines = try String(contentsOfFile: ticketFile, encoding: .utf8).split(separator: "\n").map(String.init)
            ticketLines.remove(at: ticketLines.count - 2)
            try (ticketLines.joined(separator: "\n") + "\n").write(toFile: ticketFile, atomically: true, encoding: .utf8)
            let cut = try desk("verify", "--export", ticketFile, "--key", key + ".pub")
            #expect(cut.status == 1 && cut.out.contains("events were left out"), "\(cut.out)")
            let unsupported = try desk("export", "--ledger", ledger, "--format", "pdf")
            #expect(unsupported.status == 64)
        }
    }

    @Test("replay shows progress on a terminal and nothing extra on a pipe")
    func progress() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try desk("generate", "--ledger", ledger, "--tickets", "200", "--days", "10")
            let piped = try desk("replay", "--ledger", ledger)
            #expect(piped.status == 0)
            #expect(piped.err.isEmpty)
            // Under a pseudo-terminal (util-linux `script`), stderr is a terminal.
            let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("desk").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            // A full replay (the piped run saved a snapshot, from which nothing is left to replay).
            process.arguments = ["-qec", "\(binary) replay --ledger \(ledger) --no-snapshot > /dev/null", "/dev/null"]
            let out = Pipe()
            process.standardOutput = out
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let terminal = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(terminal.contains("replaying:"), "\(terminal)")
        }
    }
}

@Suite("desk problems finds what the simulator planted")
struct PlantedAreaTests {
    @Test("each planted area is in its dimension's top 5 for its window; each planted rise is flagged as emerging", arguments: [UInt64(1), 7])
    func planted(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/planted"
            let generated = try json(try desk("generate", "--ledger", ledger, "--tickets", "2000", "--days", "90", "--seed", String(seed), "--json").out)
            let all = try #require(generated["planted"] as? [[String: Any]])
            // The process anomalies (ping-pong, wait-user) are FlowTests' part.
            let planted = all.filter { ["ci", "service", "client"].contains($0["dimension"] as? String) }
            #expect(planted.count == 3 && all.count == 5)
            for plant in planted {
                let kind = plant["kind"] as! String
                let dimension = plant["dimension"] as! String
                let key = plant["key"] as! String
                let from = plant["from"] as! String
                let to = plant["to"] as! String
                // In the plant's own window, the area is in the top 5 of its dimension.
                let window = try json(try desk("problems", "--ledger", ledger, "--by", dimension, "--from", from, "--to", to, "--top", "5", "--json").out)
                let top = (window["areas"] as! [[String: Any]]).map { $0["key"] as! String }
                #expect(top.contains(key), "\(kind): \(key) not in the top 5 \(top)")
                switch kind {
                case "risingConfigurationItem", "spikeAfterChange":
                    // From the start to the plant's end, its rise is flagged.
                    let history = try json(try desk("problems", "--ledger", ledger, "--by", dimension, "--to", to, "--json").out)
                    let emerging = Set((history["emerging"] as! [[String: Any]]).map { $0["key"] as! String })
                    #expect(emerging.contains(key), "\(kind): \(key) not flagged; emerging: \(emerging)")
                default:
                    // Repeat callers: the planted callers lead the repeat list.
                    let repeats = (window["repeatCallers"] as! [[String: Any]]).prefix(6).map { $0["key"] as! String }
                    let members = plant["members"] as! [String]
                    #expect(repeats.filter { key in members.contains { key.hasPrefix($0 + " /") } }.count >= 4, "\(repeats)")
                }
            }
        }
    }

    @Test("no rise is flagged on a control ledger simulated without plants", arguments: [UInt64(1), 2, 3])
    func control(seed: UInt64) async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/control"
            _ = try desk("generate", "--ledger", ledger, "--tickets", "2000", "--days", "90", "--seed", String(seed), "--no-plants")
            for dimension in ["ci", "service", "category", "client"] {
                let report = try json(try desk("problems", "--ledger", ledger, "--by", dimension, "--json").out)
                #expect((report["emerging"] as! [Any]).isEmpty, "seed \(seed), \(dimension): \(report["emerging"]!)")
            }
        }
    }
}

/// Debian's headless Chromium, which `make test` installs.
let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("desk report")
struct ReportTests {
    /// Headless Chromium on `html`: the DOM after its scripts ran, and the console on stderr.
    static func chrome(_ html: String, _ arguments: [String]) throws -> ProcessOutput {
        try runProcess(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"] + arguments + ["file://" + html])
    }

    /// The page's DOM after a click on the first Pareto bar and then on the first ticket it lists
    /// (a copy of the page with a small script that clicks, as a reader would).
    static func domAfterClicks(_ html: String, on selector: String = "#pareto [data-area]") throws -> ProcessOutput {
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let clicks = """
            <script>
            document.querySelector('\(selector)').dispatchEvent(new MouseEvent("click", {bubbles: true}));
            document.querySelector("#drill tr[data-ticket]").dispatchEvent(new MouseEvent("click", {bubbles: true}));
            </script></body>
            """
        let clicked = html + ".clicked.html"
        try page.replacingOccurrences(of: "</body>", with: clicks).write(toFile: clicked, atomically: true, encoding: .utf8)
        return try chrome(clicked, ["--dump-dom"])
    }

    /// Checks what every report must hold: no console error, nothing loaded from
    /// the network, labelled axes on every chart, the footer's chain head equal to
    /// `desk verify`'s, and a Pareto bar that lists its tickets when clicked.
    static func checkRendered(_ html: String, ledger: String) throws -> (page: String, dom: String) {
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!page.contains("http://") || page.components(separatedBy: "http://").dropFirst().allSatisfy { $0.hasPrefix("www.w3.org/2000/svg") }, "the page must not load anything")
        #expect(!page.contains("https://") && !page.contains(" src=") && !page.contains("<link"), "the page must not load anything")
        let dom = try chrome(html, ["--dump-dom"])
        let consoleErrors = dom.err.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        // Every chart has a labelled y axis and x axis.
        for chart in dom.out.components(separatedBy: "<svg ").dropFirst() {
            let svg = chart.components(separatedBy: "</svg>")[0]
            #expect(svg.components(separatedBy: "class=\"axis\"").count - 1 == 2, "a chart without its two axis labels: \(svg.prefix(60))")
        }
        // The footer names the head `desk verify` recomputes.
        let verified = try desk("verify", "--ledger", ledger).out
        let head = try #require(verified.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(page.contains("chain head \(head):"), "footer: \(verified)")
        return (page, dom.out)
    }

    @Test("the report of a simulated ledger: the desk's name, dated and labelled charts, SLA against its target, figures equal to desk metrics and desk flow, and a Pareto bar that lists its tickets and their histories",
          .enabled(if: chromium != nil, "needs Debian's chromium, which `make test` installs"))
    func rendersInChromium() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            _ = try desk("init", "--ledger", ledger, "--name", "Retail IT")
            _ = try desk("generate", "--ledger", ledger, "--tickets", "600", "--days", "60")
            let html = path + "/report.html"
            let written = try desk("report", "--ledger", ledger, "--output", html, "--sla-target", "90")
            #expect(written.status == 0, "\(written.err)")
            let (page, dom) = try Self.checkRendered(html, ledger: ledger)
            #expect(page.contains("<title>Service desk report: Retail IT</title>"))
            for chart in ["flows", "backlog-age", "pareto", "trend", "sla", "satisfaction"] {
                #expect(dom.contains("<svg id=\"\(chart)\""), "chart \(chart) missing from the rendered page")
            }
            #expect(dom.contains("class=\"emerging\""), "emerging rises are marked")
            #expect(dom.contains(">2024-01-01</text>"), "the time axes are dated")

            // The KPI tiles and the SLA chart equal desk metrics for the same window.
            let metrics = try json(try desk("metrics", "--ledger", ledger, "--by", "priority", "--json").out)
            let total = metrics  // desk metrics --json writes the totals at the top
            for (label, key) in [("Registered", "registered"), ("Resolved", "resolved"), ("Backlog", "backlog")] {
                #expect(page.contains("<span class=\"muted\">\(label)</span><b>\(total[key] as! Int)</b>"), "\(label)")
            }
            let fcr = try #require(total["firstContactResolutionRate"] as? Double)
            #expect(page.contains("<span class=\"muted\">First-contact resolution</span><b>\(String(format: "%.1f %%", fcr * 100))</b>"))
            var below: [String] = []
            for group in try #require(metrics["groups"] as? [[String: Any]]) {
                guard let rate = group["slaResolutionComplianceRate"] as? Double, let key = group["key"] as? String else { continue }
                #expect(page.contains("<title>P\(key): \(String(format: "%.1f %%", rate * 100)) met, \(group["slaResolutionBreaches"] as! Int) breached"), "P\(key)")
                if rate < 0.9 { below.append("P" + key) }
            }
            #expect(!below.isEmpty, "the simulated desk has priorities below 90 %")
            // The heatmap's cells add up to the targets desk metrics counts as missed (every group is shown here).
            let cells = page.components(separatedBy: "data-breaches=\"").dropFirst().compactMap { Int($0.prefix { $0 != "\"" }) }
            #expect(cells.reduce(0, +) == (total["slaResponseBreaches"] as! Int) + (total["slaResolutionBreaches"] as! Int))
            #expect(!page.contains("more groups with fewer breaches are not shown"))
            #expect(page.contains("<p class=\"bad\">Below the target: \(below.joined(separator: ", ")).</p>"))

            // The process section shows desk flow's figures for the same window, flags included.
            for table in ["push-to-front", "handovers", "ping-pong", "wait-user"] {
                #expect(dom.contains("<table id=\"\(table)\""), "table \(table) missing from the rendered page")
            }
            let flow = try FlowFlags(try desk("flow", "--ledger", ledger, "--by", "ci", "--json").out)
            let flaggedPair = try #require(flow.handovers.groupPingPong.first { $0.flagged }, "the planted pair is flagged in 600 tickets")
            #expect(page.contains("<tr><td>\(flaggedPair.a) ↔ \(flaggedPair.b)</td>") && page.contains("</td><td>!</td></tr>"))
            let flowJSON = try json(try desk("flow", "--ledger", ledger, "--json").out)
            let conformance = try #require(flowJSON["conformance"] as? [String: Any])
            // The process map's cells are desk flow's edges.
            let edge = try #require((flowJSON["edges"] as? [[String: Any]])?.first)
            #expect(page.contains("title=\"\(edge["from"] as! String) → \(edge["to"] as! String): \(edge["count"] as! Int), median"), "\(edge)")
            #expect(page.contains("of \(conformance["judged"] as! Int) ended tickets; \(conformance["open"] as! Int) open."))

            // A click on the first Pareto bar lists its incidents (as many as desk problems counts), a click on a ticket its history.
            let problems = try json(try desk("problems", "--ledger", ledger, "--by", "ci", "--json").out)
            let top = try #require((problems["areas"] as? [[String: Any]])?.first)
            let key = try #require(top["key"] as? String), incidents = try #require(top["incidents"] as? Int)
            let clicked = try Self.domAfterClicks(html)
            #expect(clicked.out.contains("id=\"drill-title\">Incidents of \(key): \(incidents)"), "the list is the clicked bar's")
            #expect(clicked.out.components(separatedBy: "<tr data-ticket=").count - 1 == min(incidents, 50))  // HTMLReport.DrillDown.ticketsPerArea
            let history = try #require(clicked.out.components(separatedBy: "<table id=\"history\">").dropFirst().first?.components(separatedBy: "</table>").first)
            #expect(history.hasPrefix("<tr><td>2024-") && history.contains("<td>TicketRegistered</td>"))
            let number = try #require(clicked.out.components(separatedBy: "<h2>History of ").dropFirst().first?.prefix(10))
            let events = try json(try desk("history", String(number), "--ledger", ledger, "--json").out)["events"] as? [Any]
            #expect(history.components(separatedBy: "</tr>").count - 1 == events?.count, "the history lists the ticket's events")

            // A click on a queue lists its open tickets.
            let queues = try json(try desk("queues", "--ledger", ledger, "--json").out)
            let line = try #require((queues["byLine"] as? [[String: Any]])?.first)
            let queueClick = try Self.domAfterClicks(html, on: "#queues [data-queue]")
            #expect(queueClick.out.contains("id=\"drill-title\">Open tickets of \(line["key"] as! String): \(line["count"] as! Int)"))

            // A click on a heatmap cell lists the tickets that missed its targets.
            let firstCell = try #require(page.components(separatedBy: "<td data-breaches=\"").dropFirst().first)
            let cellBreaches = String(firstCell.prefix { $0 != "\"" })
            let cellKey = try #require(firstCell.components(separatedBy: "data-cell=\"").dropFirst().first?.prefix { $0 != "\"" })
            let cellClick = try Self.domAfterClicks(html, on: "#sla-heatmap [data-cell]")
            let parts = cellKey.split(separator: "|")
            #expect(cellClick.out.contains("id=\"drill-title\">SLA targets missed by \(parts[0]) from \(parts[1]): \(cellBreaches), by "), "\(cellKey)")
            #expect(cellClick.out.contains("<table id=\"history\">"))

            // A window with one before it: each tile says its change against the window just before, as long.
            let february = path + "/february.html"
            #expect(try desk("report", "--ledger", ledger, "--output", february, "--from", "2024-02-01", "--to", "2024-02-15").status == 0)
            let now = try json(try desk("metrics", "--ledger", ledger, "--from", "2024-02-01", "--to", "2024-02-15", "--json").out)
            let before = try json(try desk("metrics", "--ledger", ledger, "--from", "2024-01-18", "--to", "2024-02-01", "--json").out)
            let registered = (now["registered"] as! Int, before["registered"] as! Int)
            let change = String(format: "%+d (%+.1f %%)", registered.0 - registered.1, Double(registered.0 - registered.1) / Double(registered.1) * 100)
            #expect(try String(contentsOfFile: february, encoding: .utf8).contains(
                "<span class=\"muted\">Registered</span><b>\(registered.0)</b><span class=\"change\">\(change) against the previous window</span>"))
            #expect(page.contains("No change is shown: the window starts at the first event"))

            // With a signed checkpoint: checked against the ledger and named in the footer; another ledger's is refused.
            let signer = path + "/signer.key"
            #expect(try desk("keygen", "--name", "desk.example.com/retail", "--output", signer).status == 0)
            let checkpoint = path + "/ledger.checkpoint"
            #expect(try desk("checkpoint", "--ledger", ledger, "--key", signer, "--output", checkpoint).status == 0)
            let vouched = path + "/vouched.html"
            let withCheckpoint = try desk("report", "--ledger", ledger, "--output", vouched, "--checkpoint", checkpoint, "--key", signer + ".pub")
            #expect(withCheckpoint.status == 0, "\(withCheckpoint.err)")
            let size = try String(contentsOfFile: checkpoint, encoding: .utf8).split(separator: "\n")[1]
            #expect(try String(contentsOfFile: vouched, encoding: .utf8).contains(
                "Checked before writing this page: the signed checkpoint ledger.checkpoint (desk.example.com/retail, signed by desk.example.com/retail) covers its first \(size) records, root "))
            let other = path + "/other"
            _ = try desk("generate", "--ledger", other, "--tickets", "20", "--days", "2")
            let refused = try desk("report", "--ledger", other, "--output", path + "/other.html", "--checkpoint", checkpoint, "--key", signer + ".pub")
            #expect(refused.status == 1 && refused.err.contains(checkpoint + ": "), "\(refused.err)")
            #expect(!FileManager.default.fileExists(atPath: path + "/other.html"))

            let screenshot = path + "/report.png"
            _ = try Self.chrome(html, ["--screenshot=" + screenshot, "--window-size=1200,1900"])
            let png = try #require(FileManager.default.contents(atPath: screenshot))
            #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
        }
    }

    @Test("the report of the imported help-desk log: no data said as such, durations in days, the import's notes",
          .enabled(if: chromium != nil, "needs Debian's chromium, which `make test` installs"))
    func helpDeskImport() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            let csv = ConventionTests.root.appendingPathComponent("../shared/data/helpdesk.csv").standardized.path
            #expect(try desk("import", csv, "--preset", "helpdesk", "--ledger", ledger).status == 0)
            let html = path + "/report.html"
            #expect(try desk("report", "--ledger", ledger, "--output", html).status == 0)
            let (page, dom) = try Self.checkRendered(html, ledger: ledger)
            // Four years of tickets: monthly periods; the log records no SLA.
            #expect(page.contains("<h2>Inflow, outflow and backlog per month</h2>"))
            #expect(dom.contains("<p id=\"sla\">No data: no ticket in the window has a resolution target.</p>"))
            let metrics = try json(try desk("metrics", "--ledger", ledger, "--json").out)
            let total = metrics
            let median = try #require(total["medianTimeToResolveSeconds"] as? Double)
            #expect(median >= 2 * 86_400 && page.contains("<span class=\"muted\">Median time to resolve</span><b>\(String(format: "%.1f d", median / 86_400))</b>"))
            for note in try #require(metrics["notes"] as? [String]) {
                #expect(page.contains(XMLEscaped(note)), "the import's note is shown: \(note)")
            }
            // The log names no configuration item (the default dimension): said, not drawn.
            #expect(dom.contains("<p id=\"pareto\">No data: no incident in the window names a ci"))
            // By product: a Pareto bar lists its incidents.
            let byProduct = path + "/by-product.html"
            #expect(try desk("report", "--ledger", ledger, "--output", byProduct, "--by", "product").status == 0)
            let problems = try json(try desk("problems", "--ledger", ledger, "--by", "product", "--json").out)
            let top = try #require((problems["areas"] as? [[String: Any]])?.first)
            let clicked = try Self.domAfterClicks(byProduct)
            #expect(clicked.out.contains("id=\"drill-title\">Incidents of \(top["key"] as! String): \(top["incidents"] as! Int) (the latest 50 listed)"))
        }
    }
}

/// `text` as the report writes it into HTML.
func XMLEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
}

/// Runs an example executable built beside the tests.
func example(_ name: String, _ arguments: String...) throws -> ProcessOutput {
    try runProcess(builtExecutable(name), arguments)
}

@Suite("Examples")
struct ExamplesTests {
    @Test("AnalystReplay shows the top problem areas month by month, with the planted rise")
    func analystReplay() throws {
        let run = try example("analyst-replay")
        #expect(run.status == 0)
        let months = run.out.split(separator: "\n").filter { $0.hasPrefix("2024-") }
        #expect(months.map { String($0.prefix(10)) } == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-29"])
        #expect(months.last?.contains("CI-017") == true, "the planted CI reaches the top 5")
        #expect(months.last?.contains("rising: ") == true)
    }

    @Test("AuditorExport exports a ticket and a month and verifies both offline")
    func auditorExport() throws {
        let run = try example("auditor-export")
        #expect(run.status == 0)
        #expect(run.out.contains("ticket INC-000042: 12 events exported and verified offline, complete: INC-000042"))
        #expect(run.out.contains("month from 2024-01-01: "))
        #expect(run.out.split(separator: "\n").filter { $0.contains("verified offline") }.count == 2)
    }
}
