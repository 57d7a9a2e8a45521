import EventLog
import Foundation
import Logging
import Testing
import TicketLedgerTesting

#if canImport(Glibc)
import Glibc
#endif

/// The storage failing under a write: injected at each step (no space, an I/O
/// error, a full map), and a real device filling up.
@Suite("Storage failures", .serialized)
struct StorageFailureTests {
    enum Failure: String, CaseIterable, CustomTestStringConvertible {
        case noSpace, ioError, mapFull
        var code: Int32 {
            switch self {
            case .noSpace: ENOSPC
            case .ioError: EIO
            case .mapFull: LMDBFaultInjection.mapFull
            }
        }
        var testDescription: String { rawValue }
    }

    /// A three-event append makes ten puts: three per event (record, stream, id)
    /// and the head. (LMDB gives a full map only from a put or the commit.)
    static let cases: [(LMDBFaultInjection.Step, Int, Failure)] =
        Failure.allCases.flatMap { failure in
            (failure == .mapFull ? [] : [(.begin, 1, failure)]) + [(.commit, 1, failure)] + (1...10).map { (.put, $0, failure) }
        }

    @Test("a failure at any step of a write leaves the ledger valid and unchanged (or, for a full map, grown and written), and tells the caller", arguments: cases)
    func injected(step: LMDBFaultInjection.Step, occurrence: Int, failure: Failure) async throws {
        try await withTemporaryDirectory { folder in
            let path = folder + "/ledger"
            let log = try EventLog(path: path)
            for index in 0..<5 { _ = try log.append([sampleEvent("before \(index)")], to: "s-\(index % 2)") }
            let batch = (0..<3).map { sampleEvent("batch \($0)") }

            LMDBFaultInjection.arm(path: path, step, occurrence: occurrence, code: failure.code)
            defer { LMDBFaultInjection.disarm() }
            let outcome = Result { try log.append(batch, to: "s-0") }
            #expect(!LMDBFaultInjection.isPending, "the failure was never reached")
            switch (failure, outcome) {
            case (.mapFull, .success(let result)):
                #expect(result.positions == 6...8)
            case (.noSpace, .failure(let error as EventLogError)):
                #expect(error.code == .storageFull)
                #expect(error.description.contains("no space left"), "\(error)")
                #expect(error.description.contains(path), "\(error)")
            case (.ioError, .failure(let error as EventLogError)):
                #expect(error.code == .storage)
                #expect(error.lmdbReturnCode == EIO, "\(error)")
            default:
                Issue.record("unexpected outcome \(outcome)")
            }
            let stored: UInt64 = failure == .mapFull ? 8 : 5
            func check(_ log: EventLog) throws {
                let report = try log.verify()
                #expect(report.isValid, "\(report)")
                #expect(report.eventsChecked == stored)
                #expect(try log.checkIndexes() == nil)
                #expect(try log.readStream("s-0").count == Int(stored) - 2)
            }
            try check(log)
            // The next append goes through, and the ledger reads the same after a reopen.
            let next = try log.append([sampleEvent("after")], to: "s-1")
            #expect(next.positions == (stored + 1)...(stored + 1))
            log.close()
            let reopened = try EventLog(path: path)
            defer { reopened.close() }
            #expect(try reopened.lastPosition() == stored + 1)
            #expect(try reopened.verify().isValid)
        }
    }

    @Test("a failed sync of a buffered ledger is reported (no space left), and the ledger stays valid", arguments: [Failure.noSpace, .ioError])
    func failedSync(failure: Failure) async throws {
        try await withTemporaryDirectory { folder in
            let path = folder + "/ledger"
            let log = try EventLog(path: path, configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            for index in 0..<5 { _ = try log.append([sampleEvent("event \(index)")], to: "s") }
            LMDBFaultInjection.arm(path: path, .sync, code: failure.code)
            defer { LMDBFaultInjection.disarm() }
            let error = #expect(throws: EventLogError.self) { try log.sync() }
            #expect(error?.code == (failure == .noSpace ? .storageFull : .storage))
            #expect(failure != .noSpace || error?.description.contains("no space left") == true, "\(String(describing: error))")
            try log.sync()
            #expect(try log.verify().isValid)
        }
    }

    @Test("a sync that fails while a buffered ledger closes is logged at error level with the path, and the ledger reopens valid")
    func failedSyncOnClose() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder + "/ledger"
            let captured = CapturedLog()
            let log = try EventLog(
                path: path, configuration: EventLogConfiguration(durability: .buffered),
                logger: Logger(label: "test") { _ in captured })
            for index in 0..<5 { _ = try log.append([sampleEvent("event \(index)")], to: "s") }
            LMDBFaultInjection.arm(path: path, .sync, code: Failure.ioError.code)
            defer { LMDBFaultInjection.disarm() }
            log.close()
            #expect(!LMDBFaultInjection.isPending)
            let errors = captured.entries.filter { $0.level == .error }
            #expect(errors.count == 1)
            #expect(errors.first?.text.contains("sync on close failed") == true && errors.first?.text.contains(path) == true, "\(errors)")
            let reopened = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
            defer { reopened.close() }
            #expect(try reopened.verify().isValid)
        }
    }

    @Test("a device that fills up: appends fail with 'no space left' in both durability modes, and every acknowledged event stays", arguments: [EventLogConfiguration.Durability.durable, .buffered])
    func fullDevice(durability: EventLogConfiguration.Durability) async throws {
        guard getuid() == 0 else {
            try Test.cancel("needs root, to mount a 3 MiB tmpfs for the ledger")
        }
        try await withTemporaryDirectory { folder in
            let mountPoint = folder + "/small"
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
            guard mounted.status == 0 else {
                try Test.cancel(Comment(rawValue: "cannot mount a tmpfs here: \(mounted.err)"))
            }
            defer { _ = try? runProcess("/bin/umount", ["-l", mountPoint]) }
            let path = mountPoint + "/ledger"
            var configuration = EventLogConfiguration(durability: durability)
            configuration.initialMapSize = 1 << 20
            let log = try EventLog(path: path, configuration: configuration)
            var acknowledged: [EventID] = []
            var failure: EventLogError?
            for index in 0..<100_000 {
                let events = (0..<8).map { sampleEvent("event \(index).\($0)", payloadSize: 400) }
                do {
                    _ = try log.append(events, to: "s-\(index % 5)")
                    acknowledged += events.map(\.id)
                } catch let error as EventLogError {
                    failure = error
                    break
                }
            }
            let error = try #require(failure, "the device never filled up")
            #expect(error.code == .storageFull, "\(error)")
            #expect(error.description.contains("no space left"), "\(error)")
            if durability == .buffered {
                _ = try? log.sync()
            }
            log.close()
            // Room again (a file beside the ledger would be deleted in real life):
            // the ledger opens, holds every acknowledged event and verifies.
            let reopened = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
            defer { reopened.close() }
            #expect(try reopened.verify().isValid)
            for id in acknowledged {
                #expect(try reopened.event(id: id) != nil, "acknowledged event \(id) is missing")
            }
            #expect(try reopened.lastPosition() == UInt64(acknowledged.count))
        }
    }
}

/// A log handler that keeps what it is given, for tests of what the library logs.
final class CapturedLog: LogHandler, @unchecked Sendable {
    // Safety: `lock` guards `stored`; the other properties are only set before use.
    private let lock = NSLock()
    private var stored: [(level: Logger.Level, text: String)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [(level: Logger.Level, text: String)] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let details = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lock.withLock { stored.append((event.level, "\(event.message) \(details)")) }
    }
}
