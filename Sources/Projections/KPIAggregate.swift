import Histogram

/// Running totals of one KPI group. Durations are whole seconds; their
/// percentiles come from an HDR histogram with two significant digits (a value
/// is reported within 1 % of the true one); means are exact.
struct KPIAggregate: Sendable, Codable, Equatable {
    var registered = 0
    /// Tickets that opened at a first event other than a registration.
    var openedWithoutRegistration = 0
    /// Registrations of tickets that already existed (applied as updates).
    var repeatedRegistrations = 0
    /// Tickets reopened for the first time.
    var reopenedTickets = 0
    /// Reopenings without a reopen event: a resolved or closed ticket worked on or resolved again.
    var impliedReopenings = 0
    /// Tickets opened without a stated priority (0).
    var priorityNotStated = 0
    /// Tickets closed whose source recorded the SLA outcome (`sla.made`): met, missed.
    var recordedSLAMet = 0
    var recordedSLAMissed = 0
    var resolved = 0
    var closed = 0
    var reopened = 0
    var cancelled = 0

    /// Tickets resolved for the first time (the resolution cohort).
    var firstResolutions = 0
    var firstContactResolutions = 0
    var firstLineResolutions = 0
    var escalatedBeforeResolution = 0
    var reassignedBeforeResolution = 0
    var pingPongBeforeResolution = 0
    var resolveSecondsTotal: Int64 = 0
    var resolveSeconds = DurationHistogram()

    var responses = 0
    var responseSecondsTotal: Int64 = 0
    var responseSeconds = DurationHistogram()

    var responseMet = 0
    var responseBreached = 0
    var resolutionMet = 0
    var resolutionBreached = 0

    var satisfactionCount = 0
    var satisfactionTotal = 0
    var satisfactionScores = [0, 0, 0, 0, 0]
}

/// A bounded histogram of durations in seconds.
struct DurationHistogram: Sendable, Codable, Equatable {
    /// 317 years: problem records stay open for years (BPI 2013's for up to seven),
    /// and a clamped duration would be a wrong percentile.
    static let highest: Int64 = 10_000_000_000

    private var histogram = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: UInt64(highest), numberOfSignificantValueDigits: .two)

    mutating func record(_ seconds: Int64) {
        _ = histogram.record(UInt64(min(max(seconds, 0), Self.highest)))
    }

    var count: UInt64 { histogram.totalCount }

    func percentile(_ p: Double) -> Double? {
        count == 0 ? nil : Double(histogram.valueAtPercentile(p))
    }

    static func == (lhs: DurationHistogram, rhs: DurationHistogram) -> Bool {
        lhs.histogram.totalCount == rhs.histogram.totalCount
            && lhs.histogram.recordedValues().map { "\($0.value):\($0.count)" } == rhs.histogram.recordedValues().map { "\($0.value):\($0.count)" }
    }
}

/// Backlog counts by age.
public struct AgeBands: Sendable, Hashable, Codable {
    /// Open for less than a day.
    public var lessThanOneDay = 0
    /// Open for one to seven days.
    public var oneToSevenDays = 0
    /// Open for seven to thirty days.
    public var sevenToThirtyDays = 0
    /// Open for more than thirty days.
    public var moreThanThirtyDays = 0

    /// Creates age bands.
    public init(lessThanOneDay: Int = 0, oneToSevenDays: Int = 0, sevenToThirtyDays: Int = 0, moreThanThirtyDays: Int = 0) {
        self.lessThanOneDay = lessThanOneDay
        self.oneToSevenDays = oneToSevenDays
        self.sevenToThirtyDays = sevenToThirtyDays
        self.moreThanThirtyDays = moreThanThirtyDays
    }

    mutating func add(ageSeconds: Int64) {
        switch ageSeconds {
        case ..<86_400: lessThanOneDay += 1
        case ..<(7 * 86_400): oneToSevenDays += 1
        case ..<(30 * 86_400): sevenToThirtyDays += 1
        default: moreThanThirtyDays += 1
        }
    }
}

/// The service-desk KPIs of one group (or of all tickets). `docs/KPIS.md`
/// defines each in words and as a formula. A rate or a mean is `nil` when its
/// denominator is zero.
public struct KPIValues: Sendable, Hashable, Codable {
    /// The group's key (absent for the totals).
    public var key: String?
    /// Tickets opened in the window: a ticket opens at its first event.
    public var registered: Int
    /// Of ``registered``, those whose first event is not a registration (imported
    /// logs that begin a case with whatever happened first).
    public var openedWithoutRegistration: Int
    /// Registration events of tickets that already existed: applied as updates
    /// of their fields, without restarting their clocks.
    public var repeatedRegistrations: Int
    /// Of ``reopened``, those the log records no reopen event for: a resolved or
    /// closed ticket that was worked on, suspended, assigned or resolved again.
    public var impliedReopenings: Int
    public var resolved: Int
    public var closed: Int
    public var reopened: Int
    public var cancelled: Int
    public var firstResolutions: Int
    public var firstContactResolutionRate: Double?
    public var firstLineResolutionRate: Double?
    public var escalationRate: Double?
    public var reassignmentRate: Double?
    public var pingPongRate: Double?
    public var reopenRate: Double?
    /// The share of the resolution cohort reopened at least once: tickets
    /// reopened for the first time in the window / ``firstResolutions``.
    public var reopenedTicketRate: Double?
    public var meanTimeToFirstResponseSeconds: Double?
    public var medianTimeToFirstResponseSeconds: Double?
    public var p90TimeToFirstResponseSeconds: Double?
    public var meanTimeToResolveSeconds: Double?
    public var medianTimeToResolveSeconds: Double?
    public var p90TimeToResolveSeconds: Double?
    public var slaResponseComplianceRate: Double?
    public var slaResolutionComplianceRate: Double?
    /// The share of tickets closed in the window whose source system recorded the
    /// SLA as made (attribute `sla.made`), among those where it recorded one;
    /// reported beside the derived compliance, never mixed with it.
    public var recordedSLAComplianceRate: Double?
    public var slaResponseBreaches: Int
    public var slaResolutionBreaches: Int
    public var backlog: Int
    public var backlogAgeBands: AgeBands
    public var satisfactionCount: Int
    public var satisfactionMean: Double?
    /// Scores 1 to 5, counts.
    public var satisfactionDistribution: [Int]

    enum CodingKeys: String, CodingKey {
        case key, registered, openedWithoutRegistration, repeatedRegistrations, impliedReopenings, resolved, closed, reopened, cancelled, firstResolutions, firstContactResolutionRate
        case firstLineResolutionRate, escalationRate, reassignmentRate, pingPongRate, reopenRate, reopenedTicketRate
        case meanTimeToFirstResponseSeconds, medianTimeToFirstResponseSeconds, p90TimeToFirstResponseSeconds
        case meanTimeToResolveSeconds, medianTimeToResolveSeconds, p90TimeToResolveSeconds
        case slaResponseComplianceRate, slaResolutionComplianceRate, recordedSLAComplianceRate, slaResponseBreaches, slaResolutionBreaches
        case backlog, backlogAgeBands, satisfactionCount, satisfactionMean, satisfactionDistribution
    }

    /// Every key is written, `null` where a rate or mean has no data, so that
    /// readers of the JSON see stable keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let key { try c.encode(key, forKey: .key) }
        try c.encode(registered, forKey: .registered)
        try c.encode(openedWithoutRegistration, forKey: .openedWithoutRegistration)
        try c.encode(repeatedRegistrations, forKey: .repeatedRegistrations)
        try c.encode(impliedReopenings, forKey: .impliedReopenings)
        try c.encode(resolved, forKey: .resolved)
        try c.encode(closed, forKey: .closed)
        try c.encode(reopened, forKey: .reopened)
        try c.encode(cancelled, forKey: .cancelled)
        try c.encode(firstResolutions, forKey: .firstResolutions)
        try c.encode(firstContactResolutionRate, forKey: .firstContactResolutionRate)
        try c.encode(firstLineResolutionRate, forKey: .firstLineResolutionRate)
        try c.encode(escalationRate, forKey: .escalationRate)
        try c.encode(reassignmentRate, forKey: .reassignmentRate)
        try c.encode(pingPongRate, forKey: .pingPongRate)
        try c.encode(reopenRate, forKey: .reopenRate)
        try c.encode(reopenedTicketRate, forKey: .reopenedTicketRate)
        try c.encode(meanTimeToFirstResponseSeconds, forKey: .meanTimeToFirstResponseSeconds)
        try c.encode(medianTimeToFirstResponseSeconds, forKey: .medianTimeToFirstResponseSeconds)
        try c.encode(p90TimeToFirstResponseSeconds, forKey: .p90TimeToFirstResponseSeconds)
        try c.encode(meanTimeToResolveSeconds, forKey: .meanTimeToResolveSeconds)
        try c.encode(medianTimeToResolveSeconds, forKey: .medianTimeToResolveSeconds)
        try c.encode(p90TimeToResolveSeconds, forKey: .p90TimeToResolveSeconds)
        try c.encode(slaResponseComplianceRate, forKey: .slaResponseComplianceRate)
        try c.encode(slaResolutionComplianceRate, forKey: .slaResolutionComplianceRate)
        try c.encode(recordedSLAComplianceRate, forKey: .recordedSLAComplianceRate)
        try c.encode(slaResponseBreaches, forKey: .slaResponseBreaches)
        try c.encode(slaResolutionBreaches, forKey: .slaResolutionBreaches)
        try c.encode(backlog, forKey: .backlog)
        try c.encode(backlogAgeBands, forKey: .backlogAgeBands)
        try c.encode(satisfactionCount, forKey: .satisfactionCount)
        try c.encode(satisfactionMean, forKey: .satisfactionMean)
        try c.encode(satisfactionDistribution, forKey: .satisfactionDistribution)
    }

    /// - Parameter handovers: whether the log records assignments or escalations
    ///   at all; without them first-contact and first-line resolution,
    ///   escalation, reassignment and ping-pong rates are `nil`.
    init(key: String?, aggregate a: KPIAggregate, backlog: Int, bands: AgeBands, handovers: Bool) {
        func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
        self.key = key
        registered = a.registered
        openedWithoutRegistration = a.openedWithoutRegistration
        repeatedRegistrations = a.repeatedRegistrations
        impliedReopenings = a.impliedReopenings
        resolved = a.resolved
        closed = a.closed
        reopened = a.reopened
        cancelled = a.cancelled
        firstResolutions = a.firstResolutions
        firstContactResolutionRate = handovers ? rate(a.firstContactResolutions, a.firstResolutions) : nil
        firstLineResolutionRate = handovers ? rate(a.firstLineResolutions, a.firstResolutions) : nil
        escalationRate = handovers ? rate(a.escalatedBeforeResolution, a.firstResolutions) : nil
        reassignmentRate = handovers ? rate(a.reassignedBeforeResolution, a.firstResolutions) : nil
        pingPongRate = handovers ? rate(a.pingPongBeforeResolution, a.firstResolutions) : nil
        reopenRate = rate(a.reopened, a.resolved)
        reopenedTicketRate = rate(a.reopenedTickets, a.firstResolutions)
        meanTimeToFirstResponseSeconds = a.responses == 0 ? nil : Double(a.responseSecondsTotal) / Double(a.responses)
        medianTimeToFirstResponseSeconds = a.responseSeconds.percentile(50)
        p90TimeToFirstResponseSeconds = a.responseSeconds.percentile(90)
        meanTimeToResolveSeconds = a.firstResolutions == 0 ? nil : Double(a.resolveSecondsTotal) / Double(a.firstResolutions)
        medianTimeToResolveSeconds = a.resolveSeconds.percentile(50)
        p90TimeToResolveSeconds = a.resolveSeconds.percentile(90)
        slaResponseComplianceRate = rate(a.responseMet, a.responseMet + a.responseBreached)
        slaResolutionComplianceRate = rate(a.resolutionMet, a.resolutionMet + a.resolutionBreached)
        recordedSLAComplianceRate = rate(a.recordedSLAMet, a.recordedSLAMet + a.recordedSLAMissed)
        slaResponseBreaches = a.responseBreached
        slaResolutionBreaches = a.resolutionBreached
        self.backlog = backlog
        backlogAgeBands = bands
        satisfactionCount = a.satisfactionCount
        satisfactionMean = a.satisfactionCount == 0 ? nil : Double(a.satisfactionTotal) / Double(a.satisfactionCount)
        satisfactionDistribution = a.satisfactionScores
    }
}
