import EventLog
import PostgresEventLog
import Testing
import TicketLedgerTesting
import Foundation

/// A small event with a readable payload.
func sampleEvent(_ label: String, payloadSize: Int = 0, at seconds: Int64 = 1_700_000_000) -> ProposedEvent {
    var payload = Array(label.utf8)
    if payloadSize > payload.count { payload += [UInt8](repeating: 0x2E, count: payloadSize - payload.count) }
    return ProposedEvent(
        type: "TestEvent", occurredAt: Timestamp(seconds: seconds), actor: ActorRef(.agent, "tester"), payload: payload)
}

/// The helper executable built beside the test bundle.
func helperURL() -> URL {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("ledger-test-helper")
}

/// A running helper whose stdout is read line by line.
final class HelperProcess: @unchecked Sendable {
    // Safety: `lines` is read and written only under `lock`.
    let process = Process()
    private let pipe = Pipe()
    private let lock = NSCondition()
    private var buffer = Data()
    private var lines: [String] = []
    private var ended = false

    init(_ arguments: [String]) throws {
        process.executableURL = helperURL()
        process.arguments = arguments
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.receive(handle.availableData)
        }
        try process.run()
    }

    private func receive(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if data.isEmpty {
            ended = true
        } else {
            buffer.append(data)
            while let newline = buffer.firstIndex(of: 0x0A) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        lock.broadcast()
    }

    /// Waits until a line equal to `line` arrives (or the output ends).
    func waitFor(_ line: String, timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !lines.contains(line) {
            if ended || !lock.wait(until: deadline) { return lines.contains(line) }
        }
        return true
    }

    /// Every complete line so far.
    var output: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        // Lines already in the pipe were acknowledged before the kill.
        receive(pipe.fileHandleForReading.readDataToEndOfFile())
    }

    func waitUntilExit() -> Int32 {
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        receive(pipe.fileHandleForReading.readDataToEndOfFile())
        return process.terminationStatus
    }
}

/// The ledger backends the conformance tests run on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case lmdb
    case postgres

    var testDescription: String { rawValue }
}

/// Runs `body` with the location of a fresh, empty ledger of `backend` (a folder
/// path, or a URL naming a new schema). Without a PostgreSQL server the test is
/// cancelled with the reason, unless the environment requires the server.
func withFreshLedger<T>(_ backend: Backend, _ body: (String) async throws -> T) async throws -> T {
    switch backend {
    case .lmdb:
        return try await withTemporaryDirectory { path in try await body(path + "/ledger") }
    case .postgres:
        guard let url = PostgresTestServer.freshLedgerURL() else {
            let reason = PostgresTestServer.unavailableReason ?? "no PostgreSQL server"
            if PostgresTestServer.isRequired {
                Issue.record("TICKETLEDGER_REQUIRE_POSTGRES is set but \(reason)")
                throw CancellationError()
            }
            try Test.cancel(Comment(rawValue: reason))
        }
        return try await body(url)
    }
}

/// Opens the ledger at `location` with the backend its form names.
func openLedger(
    _ location: String, access: EventLogConfiguration.AccessMode = .readWrite, durability: EventLogConfiguration.Durability = .durable
) throws -> any EventStore {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        return try PostgresEventLog(url: location, access: access)
    }
    var configuration = EventLogConfiguration(access: access, durability: durability)
    configuration.pollInterval = .milliseconds(10)
    return try EventLog(path: location, configuration: configuration)
}

/// Changes the stored bytes of the record at `position`, behind the ledger's back.
enum Tamper {
    case flip(offset: Int)
    case dropLastByte
    case appendZeroByte
}

func tamper(_ location: String, position: UInt64, _ change: Tamper) throws {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        let log = try PostgresEventLog(url: location)
        defer { log.close() }
        let table = log.eventsTable
        let value =
            switch change {
            case .flip(let offset): "set_byte(record, \(offset), get_byte(record, \(offset)) # 255)"
            case .dropLastByte: "substring(record FROM 1 FOR octet_length(record) - 1)"
            case .appendZeroByte: "record || '\\x00'::bytea"
            }
        try log.execute(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER append_only")
        try log.execute(unsafeSQL: "UPDATE \(table) SET record = \(value) WHERE position = \(position)")
        try log.execute(unsafeSQL: "ALTER TABLE \(table) ENABLE TRIGGER append_only")
    } else {
        try rewriteRecord(ledger: location, position: position) { bytes in
            switch change {
            case .flip(let offset): bytes[offset] ^= 0xFF
            case .dropLastByte: bytes.removeLast()
            case .appendZeroByte: bytes.append(0)
            }
        }
    }
}
