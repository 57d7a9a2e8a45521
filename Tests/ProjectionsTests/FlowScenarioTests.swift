import EventLog
import LedgerBackendsTesting
@testable import Projections
import Testing
import TicketLedger

/// Five tickets written as a log records them (not through `Desk`, so that the
/// deviations an imported log shows can be written too), with every figure of
/// the flow analysis worked out by hand in ``FlowScenarioTests``.
///
/// Durations come from the same histograms as the KPIs, within 1 %.
///
/// Groups: SD (Service Desk, first line), APP and NET (second line), HW (specialists).
func buildFlowScenario(_ log: any EventStore) throws {
    func write(_ stream: String, _ m: Int64, _ body: TicketEvent, by agent: String = "op") throws {
        _ = try log.append([TicketEventCodec.proposed(DeskEvent(body), occurredAt: minute(m), actor: ActorRef(.agent, agent))], to: stream)
    }
    func register(_ stream: String, _ m: Int64, service: String) throws {
        try write(stream, m, .registered(.init(
            number: stream, kind: .incident, channel: .phone, caller: "c", client: ClientRef("x"), title: "t", category: "Software",
            service: service, configurationItems: [], impact: .medium, urgency: .medium, priority: 3, matrixVersion: 1)))
    }
    func assign(_ stream: String, _ m: Int64, _ group: String, _ line: SupportLine, agent: String? = nil) throws {
        try write(stream, m, .assigned(.init(group: group, line: line, agent: agent)))
    }
    func escalate(_ stream: String, _ m: Int64, from: SupportLine, to line: SupportLine, _ group: String) throws {
        try write(stream, m, .escalated(.init(kind: .functional, fromLine: from, toLine: line, to: group, reason: "")))
    }
    let resolved = TicketEvent.resolved(.init(code: "fixed", line: .firstLine))
    // T1: taken by the first line and solved there.
    try register("T1", 0, service: "Email")
    try assign("T1", 5, "SD", .firstLine, agent: "a1")
    try write("T1", 10, .workStarted(agent: "a1"))
    try write("T1", 30, resolved)
    try write("T1", 60, .closed(code: ""))
    // T2: SD → NET, sent straight back, escalated to NET again, then to the specialists HW.
    try register("T2", 0, service: "ERP")
    try assign("T2", 5, "SD", .firstLine, agent: "a1")
    try write("T2", 10, .workStarted(agent: "a1"))
    try escalate("T2", 20, from: .firstLine, to: .secondLine, "NET")
    try assign("T2", 50, "SD", .firstLine, agent: "a1")
    try escalate("T2", 80, from: .firstLine, to: .secondLine, "NET")
    try write("T2", 90, .workStarted(agent: "n1"))
    try escalate("T2", 100, from: .secondLine, to: .specialist, "HW")
    try write("T2", 110, .workStarted(agent: "h1"))
    try write("T2", 200, resolved)
    try write("T2", 300, .closed(code: ""))
    // T3: solved at first contact by a2, who first parks it awaiting the caller
    // at minute 50 of a 60-minute resolution target (83 % consumed).
    try register("T3", 0, service: "Email")
    try write("T3", 0, .slaAttached(.init(
        policy: "p", calendar: "24x7", responseTargetSeconds: 600, resolutionTargetSeconds: 3600, responseDue: minute(10), resolutionDue: minute(60))))
    try write("T3", 5, .workStarted(agent: "a2"))
    try write("T3", 50, .suspended(reason: .awaitingCaller, note: ""), by: "a2")
    try write("T3", 110, .resumed, by: "a2")
    try write("T3", 120, resolved)
    try write("T3", 130, .closed(code: ""))
    // T4: as imported logs have it: no registration, resolved before anyone took
    // it, worked on after closure; "Triage" maps to no event type.
    try write("T4", 0, .activityRecorded(name: "Triage"))
    try write("T4", 10, resolved)
    try write("T4", 20, .closed(code: ""))
    try write("T4", 30, .workStarted(agent: "a1"))
    // T5: SD → APP → NET → SD, still open.
    try register("T5", 0, service: "ERP")
    try assign("T5", 5, "SD", .firstLine)
    try assign("T5", 10, "APP", .secondLine)
    try assign("T5", 20, "NET", .secondLine)
    try assign("T5", 30, "SD", .firstLine)
}

@Suite("Flow analysis on a hand-built scenario")
struct FlowScenarioTests {
    @Test("directly-follows graph, variants, rework, handovers, ping-pong, push to front, wait-user, conformance", arguments: Backend.allCases)
    func scenario(backend: Backend) async throws {
        try await withLedger(backend) { log in
            try buildFlowScenario(log)
            let r = try FlowAnalysis.run(log, options: FlowOptions())
            #expect(r.tickets == 5)
            #expect(r.events == 5 + 11 + 7 + 4 + 5)

            // Sequences: T1 R A W S C; T2 R A W E A E W E W S C; T3 R SLA W Su Re S C; T4 Triage S C W; T5 R A A A A.
            func edge(_ a: String, _ b: String) -> FlowReport.Edge? { r.edges.first { $0.from == a && $0.to == b } }
            #expect(edge("TicketRegistered", "TicketAssigned")?.count == 3)  // T1, T2, T5
            #expect(edge("TicketAssigned", "WorkStarted")?.count == 2)  // T1, T2
            #expect(edge("WorkStarted", "TicketEscalated")?.count == 2)  // T2 twice
            #expect(edge("TicketEscalated", "TicketAssigned")?.count == 1)  // T2
            #expect(edge("TicketAssigned", "TicketAssigned")?.count == 3)  // T5
            #expect(edge("TicketResolved", "TicketClosed")?.count == 4)  // T1, T2, T3, T4
            #expect(edge("TicketClosed", "WorkStarted")?.count == 1)  // T4
            #expect(edge("Triage", "TicketResolved")?.count == 1)
            // Resolved → closed waits: 30, 100, 10, 10 minutes; the median is 10 minutes.
            #expect(within(edge("TicketResolved", "TicketClosed")?.medianSeconds, 600))
            #expect(r.edges.reduce(0) { $0 + $1.count } == r.events - r.tickets)
            #expect(r.startActivities == [.init(name: "TicketRegistered", count: 4), .init(name: "Triage", count: 1)])
            #expect(Set(r.endActivities.map { "\($0.name) \($0.count)" }) == ["TicketClosed 3", "WorkStarted 1", "TicketAssigned 1"])
            #expect(r.variantCount == 5)
            #expect(r.variants.allSatisfy { $0.count == 1 && $0.share == 0.2 })

            // Rework: T2 (assigned, started, escalated again) and T5 (assigned four times).
            #expect(r.reworkTickets == 2)
            #expect(r.activities.first { $0.name == "TicketAssigned" }?.reworkTickets == 2)
            #expect(r.activities.first { $0.name == "WorkStarted" }?.reworkTickets == 1)

            // Handovers: SD→NET twice (T2), NET→SD (T2, T5), NET→HW, SD→APP, APP→NET.
            let h = r.handovers
            func handover(_ a: String, _ b: String) -> FlowReport.Handover? { h.groups.first { $0.from == a && $0.to == b } }
            #expect(handover("SD", "NET")?.count == 2)
            #expect(handover("NET", "SD")?.count == 2)
            #expect(handover("NET", "HW")?.count == 1)
            #expect(handover("SD", "APP")?.count == 1)
            #expect(handover("APP", "NET")?.count == 1)
            #expect(h.groups.count == 5)
            // T2 spent 15 and 30 minutes with SD before its two handovers to NET.
            #expect(within(handover("SD", "NET")?.medianSecondsBefore, 900))
            // Ping-pong: T2 (NET sent it straight back) and T5 (back to SD after APP and NET).
            #expect(h.pingPongTickets == 2)
            #expect(h.pingPongRate == 0.4)
            // The chances: SD→NET twice, NET→HW, SD→APP, APP→NET, NET→SD (T5); one was returned.
            #expect(h.returnRate == 1.0 / 6)
            #expect(h.groupPingPong.count == 1)
            let pair = try #require(h.groupPingPong.first)
            #expect((pair.a, pair.b) == ("NET", "SD"))
            #expect(pair.tickets == 2)  // T2 and T5
            #expect(pair.handovers == 3)  // SD→NET twice (T2), NET→SD (T5)
            #expect(pair.returns == 1)  // T2's NET→SD
            #expect(pair.laterReturns == 2)  // T2's second SD→NET, T5's NET→SD
            #expect(!pair.flagged)
            // Lines: first → second three times (T2 twice, T5), back twice, second → specialist once.
            #expect(Set(h.lines.map { "\($0.from)>\($0.to) \($0.count)" }) == ["1st line>2nd line 3", "2nd line>1st line 2", "2nd line>specialist 1"])
            // Resolution time by handovers: 0 (T1 30 min, T3 120, T4 10), 3 (T5, open), 4 (T2, 200 min).
            #expect(h.byHandoverCount[0].tickets == 3)
            #expect(h.byHandoverCount[0].resolved == 3)
            #expect(within(h.byHandoverCount[0].medianResolveSeconds, 1800))
            #expect(h.byHandoverCount[3].tickets == 1)
            #expect(h.byHandoverCount[3].resolved == 0)
            #expect(within(h.byHandoverCount[4].medianResolveSeconds, 12_000))

            // Push to front: T1, T3, T4 solved on the first line; T2 went up to the specialists.
            let front = try #require(r.pushToFront)
            #expect(front.total.tickets == 5)
            #expect(front.total.resolved == 4)
            #expect(front.total.firstLineShare == 0.75)
            #expect(front.total.secondLineShare == 0.4)  // T2, T5
            #expect(front.total.specialistShare == 0.2)  // T2
            let email = try #require(front.byKey.first { $0.key == "Email" })
            #expect((email.tickets, email.resolved, email.firstLineShare) == (2, 2, 1))
            let erp = try #require(front.byKey.first { $0.key == "ERP" })
            #expect((erp.tickets, erp.resolved, erp.firstLineShare) == (2, 1, 0))
            // Per period: every ticket began in the week of Monday 2024-01-01.
            #expect(front.trend.count == 1)
            #expect(front.trend.first?.key == "2024-01-01T00:00:00.000000Z")
            #expect((front.trend.first?.tickets, front.trend.first?.firstLineShare) == (5, 0.75))

            // Wait-user: a2 parked T3 for 60 minutes of its 130, near its due time.
            let a2 = try #require(r.waitUserAgents.first { $0.key == "a2" })
            #expect((a2.tickets, a2.waitTickets, a2.suspensions, a2.nearSLADue) == (1, 1, 1, 1))
            #expect(a2.timeShare == 3600.0 / 7800)
            #expect(a2.line == "1st line")
            // Peers on the first line: a1 (T1, T2, T4) and a2: one ticket in four waits; P(X ≥ 1 | n = 1) = 0.25.
            #expect(a2.pValue == 0.25)
            #expect(!a2.flagged)
            let a1 = try #require(r.waitUserAgents.first { $0.key == "a1" })
            #expect((a1.tickets, a1.waitTickets) == (3, 0))

            // Conformance: T1, T2, T3 follow the reference; T4 deviates three ways; T5 is open.
            let c = r.conformance
            #expect((c.judged, c.conforming, c.open) == (4, 3, 1))
            #expect(Set(c.deviations.map(\.deviation)) == ["begins without a registration", "resolved before anyone took it", "activity after closure"])
            #expect(c.deviations.allSatisfy { $0.tickets == 1 })
        }
    }

    @Test("a window is a cohort: tickets that begin in it, their events up to its end")
    func window() async throws {
        try await withLedger(.lmdb) { log in
            try buildFlowScenario(log)
            // Up to minute 25: T1 has R A W; T2 R A W E; T3 R SLA W; T4 Triage S C; T5 R A A A.
            let r = try FlowAnalysis.run(log, options: FlowOptions(asOf: minute(25)))
            #expect(r.tickets == 5)
            #expect(r.events == 3 + 4 + 3 + 3 + 4)
            #expect(r.conformance.judged == 1)  // only T4 has ended by then
            let later = try FlowAnalysis.run(log, options: FlowOptions(from: minute(1)))
            #expect(later.tickets == 0)  // every ticket began at minute 0
            #expect(later.edges.isEmpty)
        }
    }

    @Test("an event of a type this library does not know stands for itself", arguments: Backend.allCases)
    func unknownType(backend: Backend) async throws {
        try await withLedger(backend) { log in
            _ = try log.append([ProposedEvent(type: "VendorCalled", occurredAt: minute(0), payload: [1, 2, 3])], to: "T9")
            try buildFlowScenario(log)
            let r = try FlowAnalysis.run(log, options: FlowOptions())
            #expect(r.tickets == 6)
            #expect(r.startActivities.contains(.init(name: "VendorCalled", count: 1)))
            let front = try #require(r.pushToFront)
            #expect(front.byKey.first { $0.key == "(none)" }?.tickets == 2)  // T4 (no registration) and T9
            #expect(r.conformance.open == 2)  // T5 and T9
        }
    }

    @Test("the binomial tail the flags rest on", arguments: [
        (k: 3, n: 10, p: 0.5, expected: 0.9453125),  // 1 − (1 + 10 + 45) / 1024
        (k: 10, n: 10, p: 0.5, expected: 1.0 / 1024),
        (k: 5, n: 20, p: 0.1, expected: 0.0431745),  // R: pbinom(4, 20, 0.1, lower.tail = FALSE) = 0.04317450
        (k: 0, n: 5, p: 0.3, expected: 1),
    ])
    func binomial(k: Int, n: Int, p: Double, expected: Double) {
        let r = Binomial.upperTail(k, trials: n, probability: p)
        #expect(abs(r - expected) <= 1e-4 * expected, "P(X ≥ \(k) | \(n), \(p)) = \(r)")
    }
}
