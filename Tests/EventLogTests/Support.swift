import EventLog
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

    /// Starts the helper; with `quietErrors` its standard error is discarded.
    init(_ arguments: [String], quietErrors: Bool = false) throws {
        process.executableURL = helperURL()
        process.arguments = arguments
        process.standardOutput = pipe
        if quietErrors { process.standardError = FileHandle.nullDevice }
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
