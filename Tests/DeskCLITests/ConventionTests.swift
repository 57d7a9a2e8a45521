import Foundation
import Testing
import TicketLedgerTesting

/// How `desk` tells usage errors from errors of the data or the system, and what it prints.
@Suite("desk's command-line conventions")
struct ConventionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A data error: one line on stderr naming what, no usage, status 1.
    func expectDataError(_ run: ProcessOutput, saying text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, "status \(run.status): \(run.err)", sourceLocation: sourceLocation)
        #expect(run.err == "desk: \(text)\n", "\(run.err)", sourceLocation: sourceLocation)
        #expect(!run.err.contains("Usage:"), sourceLocation: sourceLocation)
    }

    @Test("the library's dependency graph holds no Hummingbird: the EmbeddedDesk example is a package of its own")
    func noHummingbirdInTheLibrary() throws {
        // Package.resolved of the root package, written when `swift test` resolved it: every package it builds.
        let resolved = try String(contentsOf: Self.root.appendingPathComponent("Package.resolved"), encoding: .utf8)
        #expect(resolved.contains("\"identity\" : \"swift-metrics\""), "the pins are read")
        #expect(!resolved.lowercased().contains("hummingbird"))
        let example = try String(contentsOf: Self.root.appendingPathComponent("Examples/EmbeddedDesk/Package.swift"), encoding: .utf8)
        #expect(example.contains("hummingbird-project/hummingbird"))
    }

    @Test("--version prints the version at the top of CHANGELOG.md; init records it in the ledger, stats shows it")
    func version() async throws {
        let changelog = try String(contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let top = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## [") })
        let run = try desk("--version")
        #expect(run.status == 0)
        let version = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!version.isEmpty && top.hasPrefix("## [\(version)] "), "desk --version \(version), CHANGELOG \(top)")
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("LICENSE").path))
        try await withTemporaryDirectory { path in
            #expect(try desk("init", "--ledger", path + "/l", "--name", "Retail IT").status == 0)
            let stats = try desk("stats", "--ledger", path + "/l")
            #expect(stats.out.contains("Desk:            Retail IT (centralised), created by TicketLedger \(version)"), "\(stats.out)")
            let json = try desk("stats", "--ledger", path + "/l", "--json")
            #expect(json.out.contains("\"createdBy\":\"\(version)\""), "\(json.out)")
        }
    }

    @Test("the README shows what desk demo prints: the same events, KPIs and flags")
    func readmeDemo() async throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        try await withTemporaryDirectory { path in
            let run = try desk("demo", "--ledger", path + "/demo")
            #expect(run.status == 0, "\(run.err)")
            let printed = Set(run.out.split(separator: "\n").map(String.init))
            for prefix in ["Chain: ", "(all) ", "CI-001 ", "Emerging rises: ", "Process: ", "Ping-pong flagged: ", "Wait-user flagged: "] {
                var shown = String(try #require(readme.split(separator: "\n").first { $0.hasPrefix(prefix) }, "the README shows no line \(prefix)"))
                if prefix == "Chain: " {
                    // The chain head differs from run to run: the sealed personal fields use random keys.
                    shown = String(shown[..<(try #require(shown.range(of: "head "))).lowerBound])
                    #expect(printed.contains { $0.hasPrefix(shown) && $0.count == shown.count + "head 0123456789abcdef...".count }, "README: \(shown)")
                    continue
                }
                #expect(printed.contains(shown), "README: \(shown)")
            }
        }
    }

    @Test("a missing ticket, an unwritable output and an unreadable input are data errors, and write nothing")
    func dataErrors() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "50", "--days", "10").status == 0)
            expectDataError(try desk("history", "INC-999999", "--ledger", ledger), saying: "no ticket or problem INC-999999 in this ledger")
            let export = path + "/one.jsonl"
            expectDataError(try desk("export", "--ledger", ledger, "--ticket", "INC-999999", "--output", export), saying: "no ticket or problem INC-999999 in this ledger")
            #expect(!FileManager.default.fileExists(atPath: export), "nothing is written for a ticket that is not there")
            expectDataError(try desk("report", "--ledger", ledger, "--output", path + "/no/such/folder/report.html"), saying: path + "/no/such/folder/report.html: No such file or directory")
            let fresh = path + "/fresh"
            expectDataError(try desk("import", path + "/nothing.csv", "--preset", "helpdesk", "--ledger", fresh), saying: path + "/nothing.csv: cannot read it (no such file)")
            #expect(!FileManager.default.fileExists(atPath: fresh), "a failed import leaves no empty ledger")
        }
    }

    @Test("generate: as many tickets as asked, never into a ledger that holds tickets; init's stamp does not age the queues")
    func generate() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("init", "--ledger", ledger, "--name", "Retail IT").status == 0)
            let small = try json(try desk("generate", "--ledger", ledger, "--tickets", "5", "--days", "10", "--json").out)
            #expect(small["tickets"] as? Int == 5)
            #expect((small["planted"] as? [Any])?.isEmpty == true, "too few tickets to plant anything")
            let events = try json(try desk("stats", "--ledger", ledger, "--json").out)["events"] as? Int
            expectDataError(
                try desk("generate", "--ledger", ledger, "--tickets", "5"),
                saying: "the ledger already holds tickets (INC-000001, ...): a simulation numbers its tickets from 1 and writes only into an empty ledger (or one holding only the desk's metadata)")
            #expect(try json(try desk("stats", "--ledger", ledger, "--json").out)["events"] as? Int == events, "nothing written")
            // The desk's metadata was written today; the simulated traffic is of 2024: queues are as of 2024.
            let queues = try json(try desk("queues", "--ledger", ledger, "--json").out)
            #expect((queues["asOf"] as? String)?.hasPrefix("2024-01-") == true, "\(queues["asOf"] ?? "")")
        }
    }

    @Test("replay --until stands at the last event up to that moment; queues --group of a group the ledger never had is an error")
    func asOfAndGroups() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "200", "--days", "10").status == 0)
            let last = try json(try desk("stats", "--ledger", ledger, "--json").out)["lastPosition"] as! Int
            let cut = try json(try desk("replay", "--ledger", ledger, "--until", "2024-01-05T12:00:00Z", "--json").out)
            let position = cut["position"] as! Int
            #expect(position > 0 && position < last)
            // The simulator appends in time order: the event at the position is the last one up to the moment.
            let at = try json(try desk("replay", "--ledger", ledger, "--position", String(position), "--json").out)["lastEventAt"] as! String
            let next = try json(try desk("replay", "--ledger", ledger, "--position", String(position + 1), "--json").out)["lastEventAt"] as! String
            #expect(at <= "2024-01-05T12:00:00.000000Z" && next > "2024-01-05T12:00:00.000000Z", "\(at) \(next)")
            expectDataError(
                try desk("queues", "--ledger", ledger, "--group", "Nobody"),
                saying: "no group Nobody in this ledger; its groups: 2nd Line Applications, 2nd Line Infrastructure, Billing Team, POS Terminal Support, Service Desk, Special Hardware, Special Software, System Administration")
            #expect(try desk("queues", "--ledger", ledger, "--group", "Service Desk").status == 0)
        }
    }

    @Test("import and generate show progress (count, rate, time left) on a terminal, never in a pipe")
    func progress() async throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux's script, which gives a command a terminal")
        try await withTemporaryDirectory { path in
            let csv = Self.root.appendingPathComponent("Tests/LedgerIOTests/Fixtures/helpdesk-excerpt.csv").path
            let desk = builtExecutable("desk")
            // On a terminal (script runs it on a pseudo-terminal and copies what it shows).
            let onTerminal = try runProcess(script, ["-qec", "\(desk) import \(csv) --preset helpdesk --ledger \(path)/a", "/dev/null"])
            #expect(onTerminal.status == 0, "\(onTerminal.err)")
            let lines = onTerminal.out.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
            let last = try #require(lines.last { $0.contains("importing: ") }, "\(onTerminal.out)")
            #expect(last.range(of: #"importing: (\d+) / \1 events \(100 %\), \d+/s, 0 s left"#, options: .regularExpression) != nil, "\(last)")
            let generated = try runProcess(script, ["-qec", "\(desk) generate --ledger \(path)/g --tickets 300 --days 10", "/dev/null"])
            #expect(generated.out.contains("generating: "), "\(generated.out)")
            // In a pipe: nothing but the result.
            let piped = try runProcess(desk, ["import", csv, "--preset", "helpdesk", "--ledger", path + "/b"])
            #expect(!piped.err.contains("importing") && !piped.out.contains("importing:"))
        }
    }

    @Test("completion scripts (what make install installs) name every command")
    func completions() throws {
        let commands = ["init", "generate", "import", "stats", "verify", "replay", "queues", "metrics", "problems", "flow", "history", "tail", "export", "report", "copy", "keygen", "checkpoint", "demo"]
        for shell in ["bash", "zsh", "fish"] {
            let script = try desk("--generate-completion-script", shell)
            #expect(script.status == 0)
            for command in commands { #expect(script.out.contains(command), "\(shell) completion lacks \(command)") }
        }
    }

    @Test("the examples say in one line that a ledger cannot be opened")
    func examples() throws {
        for name in ["auditor-export", "analyst-replay"] {
            let run = try runProcess(builtExecutable(name), ["/no/such/ledger"])
            #expect(run.status == 1, "\(name): \(run.status) \(run.err)")
            #expect(run.err.contains("/no/such/ledger: "), "\(name): \(run.err)")
        }
    }

    @Test("usage errors print the usage and exit 64")
    func usageErrors() async throws {
        try await withTemporaryDirectory { path in
            let ledger = path + "/ledger"
            #expect(try desk("generate", "--ledger", ledger, "--tickets", "50", "--days", "10").status == 0)
            for command in ["metrics", "problems", "flow", "export", "report"] {
                var arguments = [command, "--ledger", ledger, "--from", "2024-02-01", "--to", "2024-01-01"]
                if command == "report" { arguments += ["--output", path + "/r.html"] }
                let run = try runProcess(builtExecutable("desk"), arguments)
                #expect(run.status == 64, "\(command): \(run.status)")
                #expect(run.err.contains("Error: --from (2024-02-01T00:00:00.000000Z) is after --to (2024-01-01T00:00:00.000000Z)"), "\(command): \(run.err)")
                #expect(run.err.contains("Usage: desk \(command)"), "\(command)")
            }
            let unknown = try desk("help", "problme")
            #expect(unknown.status == 64)
            #expect(unknown.err.contains("no command problme; the commands: init, generate,"))
            let help = try desk("help", "flow")
            #expect(help.status == 0 && help.out.contains("USAGE: desk flow"))
            #expect(try desk("tail", "--ledger", ledger, "--count=-5").status == 64)
            // --help lists the values a command takes, and no other.
            for command in ["problems", "report"] {
                let help = try desk(command, "--help").out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                #expect(help.contains("(values: ci, service, category, product, client, group;"), "\(command): \(help)")
            }
            #expect(try desk("problems", "--ledger", ledger, "--by", "line").status == 64)
            // The line labels the tables print are accepted.
            let queues = try json(try desk("queues", "--ledger", ledger, "--line", "2nd line", "--json").out)
            #expect((queues["byLine"] as? [[String: Any]])?.allSatisfy { $0["key"] as? String == "2nd line" } == true)
            // Enums as words, as the tables print them, not as numbers.
            let entries = (queues["byLine"] as! [[String: Any]]).flatMap { $0["tickets"] as! [[String: Any]] }
            #expect(!entries.isEmpty)
            #expect(entries.allSatisfy { $0["line"] as? String == "2nd line" && ["new", "assigned", "in progress", "suspended"].contains($0["status"] as? String) }, "\(entries.first ?? [:])")
        }
    }
}
