import Foundation

/// What a finished child process left.
public struct ProcessOutput: Sendable {
    /// Its exit status.
    public var status: Int32
    /// Everything it wrote to standard output.
    public var out: String
    /// Everything it wrote to standard error.
    public var err: String
}

/// Runs `executable` with `arguments` (and extra environment variables) to the
/// end, collecting both output streams; for tests that drive command-line tools.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
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
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessOutput(
        status: process.terminationStatus,
        out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// An executable built beside the running test bundle (a helper, an example, `desk`).
public func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
}
