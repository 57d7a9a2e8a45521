public import EventLog
public import Projections
public import TicketLedger
import Foundation

extension HTMLReport {
    /// Collects, in the report's replay, the incidents behind each Pareto bar: fed
    /// every record of the same pass (`ProjectionEngine.replay(_:options:from:progress:alongside:)`),
    /// it notes each ticket's area as the problem-area analysis does (the ticket as
    /// its stream's first event leaves it); ``lists(areas:)`` names the latest of
    /// them and ``rows(_:log:asOf:now:personalData:)`` reads their histories.
    public struct DrillDown {
        /// The most tickets listed per area (the latest); the list says how many there are.
        public static let ticketsPerArea = 50

        private let dimension: Grouping
        private let window: ProjectionOptions
        private var opened: Set<String> = []
        private var byArea: [String: Area] = [:]
        /// The position of the last record given.
        public private(set) var position: UInt64 = 0

        /// One area's incidents in all, and the latest of them.
        struct Area: Sendable, Codable {
            var total = 0
            var latest: [Listed] = []
        }

        /// A listed incident and when it was registered.
        struct Listed: Sendable, Codable {
            var number: String
            var at: Timestamp
        }

        /// A collector for areas in `dimension` over the window of `options`.
        public init(dimension: Grouping, options: ProjectionOptions) {
            self.dimension = dimension
            self.window = options
        }

        /// Takes one record of the pass.
        public mutating func apply(_ record: RecordView) throws {
            position = record.position
            guard !opened.contains(record.streamID) else { return }
            guard let event = try TicketEventCodec.decode(record), !event.body.isLedgerMetadata else { return }
            switch event.body {
            case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed: return
            default: break
            }
            opened.insert(record.streamID)
            let time = record.occurredAt
            var ticket = Ticket(number: record.streamID, at: time)
            ticket.apply(event, occurredAt: time)
            guard ticket.kind == .incident, window.from.map({ time >= $0 }) ?? true, window.asOf.map({ time <= $0 }) ?? true else { return }
            let key = dimension.key(of: ticket)
            var area = byArea[key] ?? Area()
            area.total += 1
            area.latest.append(Listed(number: ticket.number, at: time))
            if area.latest.count > 2 * Self.ticketsPerArea {
                area.latest = Array(area.latest.suffix(Self.ticketsPerArea))
            }
            byArea[key] = area
        }

        /// The lists of `areas` (the Pareto bars): each area's incidents in all, and the latest ``ticketsPerArea``, newest first.
        public func lists(areas: [String]) -> [String: TicketList] {
            var result: [String: TicketList] = [:]
            for key in areas {
                guard let area = byArea[key] else { continue }
                let latest = area.latest.suffix(Self.ticketsPerArea).sorted { ($0.at, $0.number) > ($1.at, $1.number) }
                result[key] = TicketList(total: area.total, numbers: latest.map(\.number))
            }
            return result
        }

        /// The lists of the queues (the oldest ``ticketsPerArea`` of each), keyed `line:` or `group:` and the queue's name.
        public static func lists(queues report: QueueReport) -> [String: TicketList] {
            var result: [String: TicketList] = [:]
            for (prefix, queues) in [("line:", report.byLine), ("group:", report.byGroup)] {
                for queue in queues {
                    let oldest = queue.tickets.sorted { ($0.ageSeconds, $1.number) > ($1.ageSeconds, $0.number) }.prefix(ticketsPerArea)
                    result[prefix + queue.key] = TicketList(total: queue.count, numbers: oldest.map(\.number))
                }
            }
            return result
        }

        /// The row of each ticket in `numbers`: its state and history up to position
        /// `asOf` (the replay's), aged at `now`, read from its stream; titles and
        /// actors revealed by `personalData` when given.
        public static func rows(
            _ numbers: some Sequence<String>, log: any EventStore, asOf: UInt64, now: Timestamp, personalData: PersonalData? = nil
        ) throws -> [String: TicketRow] {
            var rows: [String: TicketRow] = [:]
            for number in numbers where rows[number] == nil {
                rows[number] = try row(number, log: log, asOf: asOf, now: now, personalData: personalData)
            }
            return rows
        }

        private static func row(_ number: String, log: any EventStore, asOf: UInt64, now: Timestamp, personalData: PersonalData?) throws -> TicketRow {
            var ticket: Ticket?
            var history: [TicketRow.Step] = []
            for recorded in try log.readStream(number) where recorded.position <= asOf {
                let event = try TicketEventCodec.decode(recorded)
                if let event { ticket = Ticket.evolve(ticket, streamID: number, event: event, occurredAt: recorded.event.occurredAt) }
                history.append(.init(
                    time: HTMLReport.minute(recorded.event.occurredAt), activity: TicketEventCodec.activityName(event, type: recorded.type),
                    actor: personalData?.reveal(recorded.event.actor.id) ?? recorded.event.actor.id))
            }
            let state = ticket ?? Ticket(number: number, at: now)
            let end = state.status.isOpen ? now : (state.resolvedAt ?? state.closedAt ?? now)
            let seconds = Double(end.microseconds - state.registeredAt.microseconds) / 1_000_000
            return TicketRow(
                number: number, title: personalData?.reveal(state.title) ?? state.title, age: (state.status.isOpen ? "open " : "resolved in ") + HTMLReport.duration(seconds),
                group: state.group ?? "–", status: state.status.description, history: history)
        }
    }
}

extension HTMLReport.DrillDown: Projection, Codable {
    /// `report-drill-down`.
    public static var name: String { "report-drill-down" }
    /// Bumped whenever its state or rules change.
    public static var version: Int { 1 }

    /// The dimension and the window's options, as sorted-key JSON.
    public var configuration: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(Configuration(dimension: dimension, window: window))) ?? Data(), as: UTF8.self)
    }

    /// The as-of position of the window, if any.
    public var limit: UInt64? { window.asOfPosition }

    /// Not with an as-of time or position.
    public var isSnapshotWorthy: Bool { window.asOf == nil && window.asOfPosition == nil }

    struct Configuration: Codable {
        var dimension: Grouping
        var window: ProjectionOptions
    }

    enum CodingKeys: String, CodingKey { case dimension, window, opened, byArea, position }

    /// Restores a snapshot.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dimension: try c.decode(Grouping.self, forKey: .dimension), options: try c.decode(ProjectionOptions.self, forKey: .window))
        opened = Set(try c.decode([String].self, forKey: .opened))
        byArea = try c.decode([String: Area].self, forKey: .byArea)
        position = try c.decode(UInt64.self, forKey: .position)
    }

    /// Writes a snapshot (the opened tickets sorted, so equal states give equal bytes).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dimension, forKey: .dimension)
        try c.encode(window, forKey: .window)
        try c.encode(opened.sorted(), forKey: .opened)
        try c.encode(byArea, forKey: .byArea)
        try c.encode(position, forKey: .position)
    }
}
