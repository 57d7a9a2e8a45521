import Foundation
import Synchronization

/// What a finished child process left.
public struct ProcessOutput: Sendable {
    /// Its exit status (the signal's number when a signal ended it).
    public var status: Int32
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// Whether it was killed for running past the time it was given.
    public var timedOut = false
    /// Everything it wrote to standard output.
    public var out: String
    /// Everything it wrote to standard error.
    public var err: String
}

/// Runs `executable` with `arguments` (and extra environment variables) to the
/// end, collecting both output streams; for tests that drive command-line tools.
/// With a `timeout`, a child still running then is killed (``ProcessOutput/timedOut``).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ticketledger-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    // Files, not pipes: a child that writes a lot to one stream cannot block on the other.
    let outURL = folder.appendingPathComponent("out")
    let errURL = folder.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let killed = Mutex(false)
    if let timeout {
        let pid = process.processIdentifier
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            guard process.isRunning else { return }
            killed.withLock { $0 = true }
            kill(pid, SIGKILL)
        }
    }
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessOutput(
        status: process.terminationStatus,
        signal: process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil,
        timedOut: killed.withLock { $0 },
        out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// An executable built beside the running test bundle (a helper, an example, `desk`).
public func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
}
