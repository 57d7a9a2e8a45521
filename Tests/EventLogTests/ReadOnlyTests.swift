import EventLog
import Foundation
import Testing
import TicketLedgerTesting

@Suite("Read-only access")
struct ReadOnlyTests {
    @Test("a read-only open works on a read-only copy of the ledger's files")
    func readOnlyCopy() async throws {
        try await withTemporaryDirectory { path in
            let original = path + "/original"
            let copy = path + "/copy"
            let head: ChainHead
            do {
                let log = try EventLog(path: original)
                for index in 0..<100 { _ = try log.append([sampleEvent("\(index)")], to: "s\(index % 3)") }
                head = try log.head()
            }
            let files = FileManager.default
            try files.createDirectory(atPath: copy, withIntermediateDirectories: true)
            // Only the data file: a copy handed to an auditor need not carry the lock file.
            try files.copyItem(atPath: original + "/data.mdb", toPath: copy + "/data.mdb")
            try files.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy + "/data.mdb")
            try files.setAttributes([.posixPermissions: 0o555], ofItemAtPath: copy)
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            defer { try? files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy) }
            let before = try Data(contentsOf: URL(fileURLWithPath: copy + "/data.mdb"))

            // In a child process that cannot write the copy (it drops root if it has it).
            let helper = try HelperProcess(["read-only", copy])
            #expect(helper.waitUntilExit() == 0)
            #expect(helper.output == ["events 100 valid true head \(head.hashHex)"])

            #expect(try Data(contentsOf: URL(fileURLWithPath: copy + "/data.mdb")) == before)
            #expect(!files.fileExists(atPath: copy + "/lock.mdb"))
        }
    }
}
