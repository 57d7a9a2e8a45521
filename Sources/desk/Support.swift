public import ArgumentParser
import EventLog
import Foundation
public import Projections
public import TicketLedger

#if canImport(Glibc)
import Glibc
#endif

/// A moment given on the command line: `2024-03-01`, `2024-03-01T10:00`, `2024-03-01T10:00:00Z`, `...+01:00`.
struct TimeArgument: ExpressibleByArgument {
    let timestamp: Timestamp

    init?(argument: String) {
        guard let value = Timestamp(iso8601: argument) else { return nil }
        timestamp = value
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension Grouping: ExpressibleByArgument {}

/// The dimensions problem areas are keyed by (a part of ``Grouping``), so that
/// `--help` lists only the values the command takes.
enum AreaDimension: String, ExpressibleByArgument, CaseIterable {
    case ci, service, category, product, client, group

    var grouping: Grouping { Grouping(rawValue: rawValue)! }
}
extension Period: ExpressibleByArgument {}

extension SupportLine: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        // Also the labels the tables print (`1st line`, `2nd line`).
        case "1", "first", "firstline", "first-line", "1st", "1st line": self = .firstLine
        case "2", "second", "secondline", "second-line", "2nd", "2nd line": self = .secondLine
        case "3", "specialist", "specialists": self = .specialist
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["first", "second", "specialist", "1st line", "2nd line"] }
}

extension DeskModel: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "centralised", "centralized": self = .centralised
        case "local": self = .local
        case "virtual": self = .virtual
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["centralised", "local", "virtual"] }
}

/// An error of the data or the system, not of the command line: `desk` prints
/// it as one line, without the usage, and exits with status 1.
struct DeskFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Opens the ledger for reading (works on read-only copies and with read-only roles too).
func openForReading(_ options: LedgerOptions) throws -> any EventStore {
    try options.open(.readOnly)
}

/// Shows progress on stderr (count, rate, time left), only when stderr is a
/// terminal: never in a pipe or a file.
struct Progress {
    let enabled = isatty(2) == 1
    let label: String
    let started = ContinuousClock.now

    init(label: String) {
        self.label = label
    }

    func update(_ position: UInt64, of total: UInt64) {
        guard enabled, total > 0 else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.line(label, position, total, elapsed: ContinuousClock.now - started)).utf8))
    }

    /// `importing: 120000 / 1000000 events (12 %), 40000/s, 22 s left`.
    static func line(_ label: String, _ position: UInt64, _ total: UInt64, elapsed: Duration) -> String {
        let percent = Int(Double(position) / Double(max(total, 1)) * 100)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var text = "\(label): \(position) / \(total) events (\(percent) %)"
        if seconds > 0, position > 0 {
            let rate = Double(position) / seconds
            text += ", \(Int(rate))/s, \(Int((Double(total - min(position, total)) / rate).rounded(.up))) s left"
        }
        return text
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// How a command that replays uses the projection snapshots kept in the ledger.
struct SnapshotFlags: ParsableArguments {
    @Flag(name: .customLong("no-snapshot"), help: "Replay the whole ledger: neither start from a snapshot kept in it nor save one.")
    var noSnapshot = false

    /// Whether to start from snapshots and save them.
    var useSnapshots: Bool { !noSnapshot }
}

/// Opens the ledger for a command that replays: read-write when snapshots are
/// used and the ledger can be written (an existing ledger whose proof index is
/// complete: opening it for writing changes nothing else), so that a new
/// snapshot can be saved; read-only otherwise.
func openForProjection(_ options: LedgerOptions, _ flags: SnapshotFlags) throws -> any EventStore {
    let log = try openForReading(options)
    guard !flags.noSnapshot, try log.proofIndexSize() == log.lastPosition() else { return log }
    log.close()
    let location = try options.path()
    do {
        return try openLedger(location, access: .readWrite, createIfMissing: false)
    } catch let error as EventLogError where error.code == .readOnly || error.code == .storage {
        return try openForReading(options)
    }
}

/// The snapshots are saved again after at least this many new events (and always when there was none).
let snapshotRefresh: UInt64 = 10_000

/// Brings `projections` to the ledger's end (or their limits) in one pass, with
/// progress on a terminal. With `snapshots` (unless `--no-snapshot`), each starts from
/// its snapshot in the ledger when one fits, and is saved as the new snapshot
/// when it has no as-of limit, the ledger is open for writing, and it had none
/// or went ``snapshotRefresh`` events past it. The results are the same with or
/// without snapshots, byte for byte.
func project(_ log: any EventStore, _ projections: [any Projection], snapshots: Bool) throws -> [any Projection] {
    var projections = snapshots ? SnapshotStore.ledger.load(projections, log: log) : projections
    let starts = projections.map(\.position)
    let total = try log.lastPosition()
    let progress = Progress(label: "replaying")
    try ProjectionEngine.catchUp(log, &projections, progress: { progress.update($0, of: total) })
    progress.finish()
    guard snapshots else { return projections }
    for (projection, start) in zip(projections, starts) where projection.isSnapshotWorthy && (start == 0 || projection.position >= start + snapshotRefresh) {
        do {
            try SnapshotStore.ledger.save(projection, log: log)
        } catch let error as EventLogError where error.code == .readOnly {
            // A read-only ledger (a copy, a read-only role): replays stay full.
        } catch {
            // The figures stand without it; say why the next run replays in full.
            FileHandle.standardError.write(Data("desk: note: the \(type(of: projection).name) snapshot was not saved: \(error)\n".utf8))
        }
    }
    return projections
}

extension [any Projection] {
    /// The projection at `index`, as the type it was given as.
    func take<P: Projection>(_ index: Int, as type: P.Type = P.self) throws -> P {
        guard indices.contains(index), let projection = self[index] as? P else { throw DeskFailure("the replay lost its \(P.name) projection") }
        return projection
    }
}

/// A plain text table with aligned columns.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    /// Columns of words (left-aligned); the others hold figures (right-aligned).
    static let textHeaders: Set<String> = ["event", "title", "by", "trend (last 8)", "status", "agent"]

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }

    func render() -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return index == 0 || Self.textHeaders.contains(headers[index]) ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
    }
}

func percent(_ value: Double?) -> String {
    value.map { String(format: "%.1f %%", $0 * 100) } ?? "-"
}

func duration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    switch seconds {
    case ..<3600: return String(format: "%.0f min", seconds / 60)
    case ..<(2 * 86_400): return String(format: "%.1f h", seconds / 3600)
    default: return String(format: "%.1f d", seconds / 86_400)
    }
}

func number(_ value: Double?) -> String {
    value.map { String(format: "%.2f", $0) } ?? "-"
}

/// The bounds of `generate` and `demo`: the simulation holds its script in
/// memory, so the numbers are ones a machine can hold.
func validateSimulation(tickets: Int, days: Int) throws {
    guard (1...10_000_000).contains(tickets) else { throw ValidationError("--tickets must be 1 to 10,000,000, not \(tickets)") }
    guard (1...36_500).contains(days) else { throw ValidationError("--days must be 1 to 36,500 (100 years), not \(days)") }
}
