import EventLog
import Projections
import LedgerBackendsTesting
import Testing
import TicketLedger
import TicketLedgerTesting

/// Minutes after Monday 2024-01-01 08:00 UTC.
func minute(_ m: Int64) -> Timestamp { Timestamp(seconds: 1_704_096_000 + m * 60) }

/// Four tickets whose every KPI is worked out by hand below.
func buildScenario(_ desk: Desk) async throws {
    let op = ActorRef(.agent, "op-1")
    func reg(_ channel: Channel, _ impact: Impact, _ urgency: Urgency, at m: Int64) async throws -> String {
        try await desk.register(
            Registration(channel: channel, caller: "c", title: "t", category: "Hardware", service: "POS", configurationItems: ["POS-1"], impact: impact, urgency: urgency),
            by: op, at: minute(m)).number
    }
    func run(_ command: TicketCommand, _ number: String, at m: Int64) async throws {
        try await desk.execute(command, on: number, by: op, at: minute(m))
    }
    // A: phone, priority 2 (SLA 30 min / 8 h), solved at first contact after 10 minutes, rated 5, closed after 2 days.
    let a = try await reg(.phone, .medium, .high, at: 0)
    try await run(.attachSLA(.standard), a, at: 0)
    try await run(.logContact(channel: .phone, inbound: true, handleSeconds: 600), a, at: 0)
    try await run(.startWork(agent: "op-1"), a, at: 1)
    try await run(.resolve(code: "fixed", kind: .fix, note: ""), a, at: 10)
    try await run(.recordSatisfaction(score: 5, comment: ""), a, at: 20)
    try await run(.close(code: ""), a, at: 2880)
    // B: e-mail, priority 3 (2 h / 24 h), first line then escalated to the second line, resolved after 5 h, rated 3.
    let b = try await reg(.email, .medium, .medium, at: 0)
    try await run(.attachSLA(.standard), b, at: 0)
    try await run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: ""), b, at: 5)
    try await run(.startWork(agent: "op-1"), b, at: 10)
    try await run(.escalate(toLine: .secondLine, group: "2nd Line", department: nil, reason: ""), b, at: 30)
    try await run(.startWork(agent: "sl-1"), b, at: 40)
    try await run(.resolve(code: "fixed", kind: .fix, note: ""), b, at: 300)
    try await run(.recordSatisfaction(score: 3, comment: ""), b, at: 310)
    // C: phone, priority 3, first response after 140 min (response breached at 180), suspended 10 h,
    // resolved at 2000 (due moved from 1500 to 2100 by the pause: met), reopened, resolved again.
    let c = try await reg(.phone, .medium, .medium, at: 60)
    try await run(.attachSLA(.standard), c, at: 60)
    try await run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-2", reason: ""), c, at: 70)
    try await run(.startWork(agent: "op-2"), c, at: 200)
    try await run(.suspend(.awaitingCaller, note: ""), c, at: 210)
    try await run(.resume, c, at: 810)
    try await run(.resolve(code: "fixed", kind: .fix, note: ""), c, at: 2000)
    try await run(.reopen(reason: ""), c, at: 2100)
    try await run(.resolve(code: "fixed", kind: .fix, note: ""), c, at: 2200)
    // D: web, priority 3, bounced Service Desk -> Network -> Service Desk, never answered: both targets breached.
    let d = try await reg(.webPortal, .medium, .medium, at: 100)
    try await run(.attachSLA(.standard), d, at: 100)
    try await run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: nil, reason: ""), d, at: 110)
    try await run(.assign(group: "Network", line: .secondLine, department: nil, agent: nil, reason: ""), d, at: 120)
    try await run(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: nil, reason: ""), d, at: 130)
}

@Suite("KPIs on a hand-built scenario")
struct KPIScenarioTests {
    @Test("every KPI, worked out by hand", arguments: Backend.allCases)
    func kpis(backend: Backend) async throws {
        try await withLedger(backend) { log in
            try await buildScenario(Desk(log: log))
            let projector = try ProjectionEngine.replay(log)
            let m = projector.metrics(now: minute(3000)).total
            #expect(m.registered == 4)
            #expect(m.resolved == 4)  // A, B, C, C again
            #expect(m.closed == 1)  // A
            #expect(m.reopened == 1)  // C
            #expect(m.firstResolutions == 3)  // A, B, C
            #expect(m.firstContactResolutionRate == 1.0 / 3)  // A: no assignment, no escalation
            #expect(m.firstLineResolutionRate == 2.0 / 3)  // A and C stayed on the first line
            #expect(m.escalationRate == 1.0 / 3)  // B
            #expect(m.reassignmentRate == 0)  // D bounced but is not resolved
            #expect(m.pingPongRate == 0)
            #expect(m.reopenRate == 0.25)  // 1 reopening / 4 resolutions
            // First responses: A 1 min, B 10 min, C 140 min: 60, 600, 8400 s.
            #expect(m.meanTimeToFirstResponseSeconds == 3020)
            #expect(within(m.medianTimeToFirstResponseSeconds, 600))
            #expect(within(m.p90TimeToFirstResponseSeconds, 8400))
            // First resolutions: A 10 min, B 300 min, C 1940 min: 600, 18000, 116400 s.
            #expect(m.meanTimeToResolveSeconds == 45_000)
            #expect(within(m.medianTimeToResolveSeconds, 18_000))
            #expect(within(m.p90TimeToResolveSeconds, 116_400))
            // Response: A, B met; C breached at 180; D breached at 220.
            #expect(m.slaResponseComplianceRate == 0.5)
            #expect(m.slaResponseBreaches == 2)
            // Resolution: A, B met; C met thanks to the pause; D breached at 1540.
            #expect(m.slaResolutionComplianceRate == 0.75)
            #expect(m.backlog == 1)  // D
            #expect(m.backlogAgeBands == AgeBands(lessThanOneDay: 0, oneToSevenDays: 1, sevenToThirtyDays: 0, moreThanThirtyDays: 0))  // 2900 min
            #expect(m.satisfactionMean == 4)
            #expect(m.satisfactionDistribution == [0, 0, 1, 0, 1])
        }
    }

    @Test("the SLA clock pauses while suspended; warnings and breaches as of a moment", arguments: Backend.allCases)
    func slaClocks(backend: Backend) async throws {
        try await withLedger(backend) { log in
            try await buildScenario(Desk(log: log))
            let projector = try ProjectionEngine.replay(log)
            let sla = Dictionary(uniqueKeysWithValues: projector.slaStatuses(now: minute(3000)).map { ($0.number, $0) })
            let c = try #require(sla["INC-000003"])
            #expect(c.resolution?.due == minute(2100))
            #expect(c.resolution?.state == .met)
            #expect(c.response?.state == .breached)
            #expect(c.response?.decidedAt == minute(180))
            let d = try #require(sla["INC-000004"])
            #expect(d.resolution?.state == .breached)
            #expect(d.resolution?.decidedAt == minute(1540))
            // At minute 1200, D has used 1100 of its 1440 minutes: a warning (over 75 %), not yet breached.
            let early = projector.slaStatuses(now: minute(1200)).first { $0.number == "INC-000004" }
            #expect(early?.resolution?.state == .warning)
            #expect(early?.resolution?.consumedSeconds == Int64(1100 * 60))
        }
    }

    @Test("queues and grouping", arguments: Backend.allCases)
    func queuesAndGroups(backend: Backend) async throws {
        try await withLedger(backend) { log in
            try await buildScenario(Desk(log: log))
            var options = ProjectionOptions(groupBy: .channel)
            options.period = .day
            let projector = try ProjectionEngine.replay(log, options: options)
            let queues = projector.queues(now: minute(3000))
            #expect(queues.open == 1)
            #expect(queues.byGroup.map(\.key) == ["Service Desk"])
            #expect(queues.byGroup[0].oldestAgeSeconds == 2900 * 60)
            #expect(queues.unassigned.count == 0)
            let metrics = projector.metrics(now: minute(3000))
            #expect(metrics.groups.map(\.key) == ["e-mail", "phone", "web portal"])
            #expect(metrics.groups.first { $0.key == "phone" }?.registered == 2)
            #expect(metrics.groups.first { $0.key == "phone" }?.firstContactResolutionRate == 0.5)
            // Inflow per day: 4 registrations and 1 reopening on 2024-01-02? No: C reopened at minute 2100 (day 2).
            #expect(metrics.flows.map(\.inflow).reduce(0, +) == 5)
            #expect(metrics.flows.map(\.outflow).reduce(0, +) == 4)
        }
    }
}

/// Whether a percentile is within the histogram's documented 1 % of the true value.
func within(_ value: Double?, _ expected: Double) -> Bool {
    guard let value else { return false }
    return abs(value - expected) <= expected * 0.01
}
