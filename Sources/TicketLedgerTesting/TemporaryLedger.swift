public import EventLog
import Foundation

/// Runs `body` with a fresh folder under the system's temporary directory and
/// removes it afterwards, whatever `body` does.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ticketledger-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: base) }
    return try await body(base.path)
}

/// Runs `body` with an event log in a fresh temporary folder (buffered unless
/// told otherwise: tests rarely need every commit on disk), closed and removed
/// afterwards.
public func withTemporaryLedger<T>(
    configuration: EventLogConfiguration = EventLogConfiguration(durability: .buffered),
    _ body: (EventLog) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { path in
        let log = try EventLog(path: path + "/ledger", configuration: configuration)
        defer { log.close() }
        return try await body(log)
    }
}
