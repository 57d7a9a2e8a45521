import Foundation
import Testing
import TicketLedgerTesting

@Suite("Examples")
struct ExampleTests {
    @Test("Examples/LogQuickstart runs and prints what it promises")
    func quickstart() async throws {
        try await withTemporaryDirectory { path in
            let process = Process()
            process.executableURL = helperURL().deletingLastPathComponent().appendingPathComponent("log-quickstart")
            process.arguments = [path + "/ledger"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "\(output)")
            #expect(lines.first == "registered INC-1 at position 1")
            #expect(lines.contains("retry returned position 1, already stored: true"))
            #expect(lines.contains("conflict: stream 'INC-1' is at version 1; the append expected version 5 (actual version 1)"))
            #expect(lines.contains("followed #1 TicketRegistered v1"))
            #expect(lines.last?.hasPrefix("verify: valid, 1 events, head ") == true)
        }
    }
}
