import Foundation
public import EventLog
import TicketLedger

/// How ITIL problem-area analysis looks at incidents.
public struct ProblemAreaOptions: Sendable, Hashable, Codable {
    /// The dimension areas are keyed by: `ci`, `service`, `category`, `product` or `client`.
    public var dimension: Grouping = .ci
    /// The period of the trends.
    public var period: Period = .week
    /// Two incidents on the same configuration item, or from the same caller in
    /// the same category, within this many days make a repeat incident.
    public var repeatWindowDays = 7
    /// A period is flagged as an emerging rise when, under a Poisson law whose
    /// mean is the area's mean over the earlier periods of the window, a count at
    /// least as high has a probability below this (one-sided).
    public var emergingPValue = 1e-6
    /// ... and the count is at least this.
    public var emergingMinimumCount = 5
    /// ... and the window has at least this many earlier periods for the baseline.
    public var emergingMinimumHistory = 4
    /// An area is a candidate problem when no problem record covers it and it has
    /// at least this share of incidents, or an emerging rise, or this many repeat
    /// calls (a caller reporting the same category again within the window).
    public var candidateShare = 0.05
    /// ... or at least this many repeat calls.
    public var candidateRepeats = 5

    /// Analysis by `dimension` with `period` trends; the other settings keep their defaults.
    public init(dimension: Grouping = .ci, period: Period = .week) {
        self.dimension = dimension
        self.period = period
    }
}

/// Running counts of one area.
struct AreaAggregate: Sendable, Codable, Equatable {
    var incidents = 0
    var escalated = 0
    var slaBreaches = 0
    var restored = 0
    var restoreSecondsTotal: Int64 = 0
    /// Incidents on the same configuration item as one within the repeat window.
    var repeats = 0
    /// Incidents from a caller who reported the same category within the repeat window.
    var callerRepeats = 0
    var firstAt: Timestamp?
    var lastAt: Timestamp?
    /// Incidents per period index (Int keys, so that snapshots encode sorted).
    var periods: [Int: Int] = [:]
}

/// The problem-area state a ``DeskProjector`` keeps when asked to.
struct AreaState: Sendable, Codable, Equatable {
    var areas: [String: AreaAggregate] = [:]
    var lastByItem: [String: Timestamp] = [:]
    var lastByCallerCategory: [String: Timestamp] = [:]
    var repeatsByCallerCategory: [String: Int] = [:]
    /// Keys a problem record covers (a dictionary, so that snapshots encode sorted).
    var covered: [String: Bool] = [:]
    var incidents = 0

    /// Counts an incident, once per stream: the projector calls it when a
    /// stream opens, and a ticket that left its memory comes back as departed,
    /// not as opening again.
    mutating func registered(_ ticket: Ticket, at time: Timestamp, options: ProblemAreaOptions, inWindow: Bool) {
        guard ticket.kind == .incident else { return }
        let window = TimeInterval(options.repeatWindowDays) * 86_400 * 1_000_000
        var isRepeat = false
        var isCallerRepeat = false
        if let item = ticket.configurationItems.first {
            if let last = lastByItem[item], Double(time.microseconds - last.microseconds) <= window { isRepeat = true }
            lastByItem[item] = time
        }
        let callerKey = ProblemAreaReport.Repeat.key(caller: ticket.caller, category: ticket.category)
        if !ticket.caller.isEmpty {
            if let last = lastByCallerCategory[callerKey], Double(time.microseconds - last.microseconds) <= window {
                isCallerRepeat = true
                if inWindow { repeatsByCallerCategory[callerKey, default: 0] += 1 }
            }
            lastByCallerCategory[callerKey] = time
        }
        guard inWindow else { return }
        incidents += 1
        let key = options.dimension.key(of: ticket)
        var area = areas[key] ?? AreaAggregate()
        area.incidents += 1
        if isRepeat { area.repeats += 1 }
        if isCallerRepeat { area.callerRepeats += 1 }
        area.firstAt = min(area.firstAt ?? time, time)
        area.lastAt = max(area.lastAt ?? time, time)
        area.periods[Int(options.period.period(of: time).index), default: 0] += 1
        areas[key] = area
    }

    mutating func update(_ ticket: Ticket, options: ProblemAreaOptions, _ change: (inout AreaAggregate) -> Void) {
        guard ticket.kind == .incident else { return }
        let key = options.dimension.key(of: ticket)
        guard var area = areas[key] else { return }
        change(&area)
        areas[key] = area
    }
}

/// ITIL problem-area analysis over a window: where incidents concentrate, what
/// rises, what repeats, where the first line cannot cope, and which areas no
/// problem record covers yet.
public struct ProblemAreaReport: Sendable, Hashable, Codable {
    /// Incidents of one area in one period.
    public struct PeriodCount: Sendable, Hashable, Codable {
        /// The period's first moment.
        public var start: Timestamp
        /// Incidents registered.
        public var incidents: Int
        /// The change against the previous period.
        public var change: Int
        /// Flagged as a significant rise.
        public var emerging: Bool
    }

    /// One area (a configuration item, a service, ...), with its Pareto position, rates and trend.
    public struct Area: Sendable, Hashable, Codable {
        /// The area (or caller / category) key.
        public var key: String
        /// Incidents registered.
        public var incidents: Int
        /// Its share of all incidents in the window.
        public var share: Double
        /// The share of this area and every larger one (Pareto).
        public var cumulativeShare: Double
        /// Among the areas that make up the first 80 % of incidents (Pareto).
        public var pareto: Bool
        /// The share of its incidents escalated functionally at least once.
        public var escalationRate: Double
        /// SLA targets breached by its incidents.
        public var slaBreaches: Int
        /// Incidents on the same configuration item as another within the repeat window.
        public var repeatIncidents: Int
        /// Incidents whose caller reported the same category within the repeat window.
        public var callerRepeatIncidents: Int
        /// Mean time between incidents (first to last registration, over n − 1).
        public var mtbfSeconds: Double?
        /// Mean time to restore service: registration to first resolution.
        public var mtrsSeconds: Double?
        /// A problem record covers it (same item, service or category, or its tickets are linked to one).
        public var coveredByProblem: Bool
        /// Incidents per period over the window.
        public var trend: [PeriodCount]
    }

    /// A period in which an area rose significantly.
    public struct Emerging: Sendable, Hashable, Codable {
        /// The area (or caller / category) key.
        public var key: String
        /// The period's first moment.
        public var periodStart: Timestamp
        /// Incidents registered.
        public var incidents: Int
        /// The mean of the earlier periods in the window.
        public var baseline: Double
        /// The one-sided Poisson probability of a count at least this high.
        public var pValue: Double
    }

    /// A caller who keeps reporting the same category.
    public struct Repeat: Sendable, Hashable, Codable {
        /// `caller / category`.
        public var key: String
        /// Incidents that repeat an earlier one within the window.
        public var repeatIncidents: Int

        /// `caller / category`: the key, and where ``ProblemAreaReport/revealed(by:)`` finds its caller.
        static func key(caller: String, category: String) -> String { caller + separator + category }
        static let separator = " / "

        /// The report's order: most repeats first, then by key.
        static func precedes(_ a: Repeat, _ b: Repeat) -> Bool { (a.repeatIncidents, b.key) > (b.repeatIncidents, a.key) }
    }

    /// An area where something goes wrong more than elsewhere.
    public struct HotSpot: Sendable, Hashable, Codable {
        /// The area (or caller / category) key.
        public var key: String
        /// Incidents registered.
        public var incidents: Int
        /// Escalated incidents, or SLA breaches.
        public var count: Int
        /// `count` per incident.
        public var rate: Double
    }

    /// An area that deserves a problem record and has none.
    public struct Candidate: Sendable, Hashable, Codable {
        /// The area (or caller / category) key.
        public var key: String
        /// Incidents registered.
        public var incidents: Int
        /// Why, in words.
        public var reasons: [String]
    }

    /// The dimension the areas are keyed by.
    public var dimension: Grouping
    public var from: Timestamp?
    public var to: Timestamp
    /// The trend period.
    public var period: Period
    /// Incidents registered.
    public var incidents: Int
    /// Every area, most incidents first (ties by key).
    public var areas: [Area]
    /// Significant rises, most significant first.
    public var emerging: [Emerging]
    /// Callers with repeat incidents, most first.
    public var repeatCallers: [Repeat]
    /// Areas whose incidents leave the first line most (at least 5 incidents).
    public var escalationHotSpots: [HotSpot]
    /// Areas with the most SLA breaches.
    public var slaBreachHotSpots: [HotSpot]
    /// Candidate problems, most incidents first.
    public var candidates: [Candidate]
    /// How rises are judged, in words.
    public var test: String
}

enum Poisson {
    /// P(X ≥ k) for X ~ Poisson(λ).
    static func upperTail(_ k: Int, mean lambda: Double) -> Double {
        guard k > 0 else { return 1 }
        guard lambda > 0 else { return 0 }
        // 1 − P(X ≤ k − 1), summed in log space.
        var term = -lambda  // log P(X = 0)
        var cumulative = exp(term)
        for i in 1..<k {
            term += log(lambda) - log(Double(i))
            cumulative += exp(term)
        }
        return max(0, 1 - cumulative)
    }
}

extension DeskProjector {
    /// The problem-area analysis of the window (requires
    /// ``ProjectionOptions/problemAreas``; otherwise an empty report).
    public func problemAreas(now: Timestamp? = nil) -> ProblemAreaReport {
        let now = moment(now)
        let state = advanced(to: now)
        let analysis = options.problemAreas ?? ProblemAreaOptions()
        let areaState = state.areaState ?? AreaState()
        let total = areaState.incidents
        let periodIndexes: [Int64] = {
            let all = areaState.areas.values.flatMap { $0.periods.keys.map(Int64.init) }
            guard let first = all.min(), let last = all.max() else { return [] }
            let start = options.from.map { analysis.period.period(of: $0).index } ?? first
            let end = analysis.period.period(of: now).index
            return Array(min(start, first)...max(end, last))
        }()
        var emerging: [ProblemAreaReport.Emerging] = []
        let sorted = areaState.areas.sorted { ($0.value.incidents, $1.key) > ($1.value.incidents, $0.key) }
        var cumulative = 0
        var areas: [ProblemAreaReport.Area] = []
        for (key, area) in sorted {
            let before = Double(cumulative) / Double(max(total, 1))
            cumulative += area.incidents
            var trend: [ProblemAreaReport.PeriodCount] = []
            var previous = 0
            var earlier: [Int] = []
            for index in periodIndexes {
                let count = area.periods[Int(index)] ?? 0
                var isEmerging = false
                if earlier.count >= analysis.emergingMinimumHistory, count >= analysis.emergingMinimumCount {
                    let baseline = max(Double(earlier.reduce(0, +)) / Double(earlier.count), 0.5)
                    let p = Poisson.upperTail(count, mean: baseline)
                    if p < analysis.emergingPValue {
                        isEmerging = true
                        emerging.append(.init(key: key, periodStart: DeskProjector.periodStart(index, analysis.period), incidents: count, baseline: baseline, pValue: p))
                    }
                }
                trend.append(.init(start: DeskProjector.periodStart(index, analysis.period), incidents: count, change: count - previous, emerging: isEmerging))
                previous = count
                earlier.append(count)
            }
            let span = area.firstAt.flatMap { first in area.lastAt.map { Double($0.microseconds - first.microseconds) / 1_000_000 } }
            areas.append(.init(
                key: key, incidents: area.incidents, share: Double(area.incidents) / Double(max(total, 1)),
                cumulativeShare: Double(cumulative) / Double(max(total, 1)), pareto: before < 0.8,
                escalationRate: Double(area.escalated) / Double(max(area.incidents, 1)), slaBreaches: area.slaBreaches,
                repeatIncidents: area.repeats, callerRepeatIncidents: area.callerRepeats,
                mtbfSeconds: area.incidents >= 2 ? span.map { $0 / Double(area.incidents - 1) } : nil,
                mtrsSeconds: area.restored == 0 ? nil : Double(area.restoreSecondsTotal) / Double(area.restored),
                coveredByProblem: areaState.covered[key] == true, trend: trend))
        }
        emerging.sort { ($0.pValue, $0.key, $0.periodStart) < ($1.pValue, $1.key, $1.periodStart) }
        let emergingKeys = Set(emerging.map(\.key))
        let hot = areas.filter { $0.incidents >= 5 }
        let candidates = areas.compactMap { area -> ProblemAreaReport.Candidate? in
            guard !area.coveredByProblem else { return nil }
            var reasons: [String] = []
            if area.share >= analysis.candidateShare { reasons.append("\(Int((area.share * 100).rounded())) % of incidents") }
            if emergingKeys.contains(area.key) { reasons.append("emerging rise") }
            if area.callerRepeatIncidents >= analysis.candidateRepeats { reasons.append("\(area.callerRepeatIncidents) repeat calls") }
            return reasons.isEmpty ? nil : .init(key: area.key, incidents: area.incidents, reasons: reasons)
        }
        return ProblemAreaReport(
            dimension: analysis.dimension, from: options.from, to: now, period: analysis.period, incidents: total, areas: areas,
            emerging: emerging,
            repeatCallers: areaState.repeatsByCallerCategory.map { .init(key: $0.key, repeatIncidents: $0.value) }.sorted(by: ProblemAreaReport.Repeat.precedes),
            escalationHotSpots: hot.map { .init(key: $0.key, incidents: $0.incidents, count: Int(($0.escalationRate * Double($0.incidents)).rounded()), rate: $0.escalationRate) }
                .sorted { ($0.rate, $1.key) > ($1.rate, $0.key) },
            slaBreachHotSpots: hot.filter { $0.slaBreaches > 0 }.map { .init(key: $0.key, incidents: $0.incidents, count: $0.slaBreaches, rate: Double($0.slaBreaches) / Double($0.incidents)) }
                .sorted { ($0.count, $1.key) > ($1.count, $0.key) },
            candidates: candidates,
            test: "one-sided Poisson test per area and \(analysis.period.rawValue): P(X ≥ count | mean of the earlier \(analysis.period.rawValue)s in the window, at least 0.5) < \(analysis.emergingPValue), with count ≥ \(analysis.emergingMinimumCount) and at least \(analysis.emergingMinimumHistory) earlier periods")
    }
}
