import EventLog
import Foundation
import Testing
import TicketLedgerTesting

@Suite("LMDB read transactions")
struct ReadTransactionTests {
    /// Where LMDB 0.9 on Linux keeps the last committed transaction's id in
    /// `lock.mdb`: after its magic, its format and the readers' mutex.
    static let lockFileTransactionOffset: off_t = 48

    @Test("a read that meets a meta page LMDB has not yet published shows no state a later read takes back")
    func unpublishedMetaPage() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder + "/ledger"
            do {
                let log = try EventLog(path: path)
                _ = try await log.append([sampleEvent("first")], to: "s")
                log.close()
            }
            // A descriptor of the lock file, opened before the ledger and closed after
            // it: closing one would drop this process's LMDB locks on the file.
            let lockFile = open(path + "/lock.mdb", O_RDWR | O_CLOEXEC)
            try #require(lockFile >= 0)
            defer { close(lockFile) }
            func lastCommitted() -> UInt64 {
                var value: UInt64 = 0
                _ = pread(lockFile, &value, 8, Self.lockFileTransactionOffset)
                return value
            }
            @Sendable func publish(_ id: UInt64) {
                var value = id
                _ = pwrite(lockFile, &value, 8, Self.lockFileTransactionOffset)
            }
            let log = try EventLog(path: path)
            defer { log.close() }
            _ = try await log.append([sampleEvent("second")], to: "s")
            let published = lastCommitted()
            _ = try await log.append([sampleEvent("third")], to: "s")
            // The layout is LMDB's as assumed, and an append is one commit.
            try #require(published > 0 && lastCommitted() == published + 1)

            // A reader that read the id two commits back, as one delayed while two
            // commits land does: that id's meta page is now the newest commit's.
            publish(published - 1)
            // The commit before the newest is published a moment later, by another thread.
            let publisher = Thread { usleep(200_000); publish(published) }
            publisher.start()
            let first = try log.lastPosition()
            while lastCommitted() != published { usleep(1000) }
            let second = try log.lastPosition()
            #expect(first <= second, "a read showed position \(first), a later one \(second)")
            #expect(second == 2)
            // The newest commit published: the third event is there.
            publish(published + 1)
            #expect(try log.lastPosition() == 3)
        }
    }
}
