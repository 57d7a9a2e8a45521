import EventLog
import Projections
import Testing
import TicketLedger
import TicketLedgerTesting

/// KPIs of logs as imports write them: streams that begin without a
/// registration, repeated registrations, reopenings without a reopen event, late
/// events of tickets that left memory, no handovers at all. Worked out by hand.
@Suite("KPIs of imported logs")
struct ImportedLogKPITests {
    func registration(_ number: String) -> TicketEvent {
        .registered(.init(
            number: number, kind: .incident, channel: .other, caller: "", client: ClientRef(""), title: "", category: "", service: "",
            configurationItems: [], impact: .medium, urgency: .medium, priority: 0, matrixVersion: 0))
    }

    @Test("a ticket opens at its first event; a second registration, a late event and an implied reopening are counted once and said")
    func importedShapes() async throws {
        try await withTemporaryLedger { log in
            func append(_ stream: String, _ body: TicketEvent, at m: Int64) throws {
                let event = TicketEventCodec.proposed(DeskEvent(body), occurredAt: minute(m), actor: ActorRef(.agent, "a"))
                _ = try log.append([event], to: stream)
            }
            // T1 begins with work, not a registration: it opens at minute 0 and resolves 60 minutes later.
            try append("T1", .workStarted(agent: "a"), at: 0)
            try append("T1", .resolved(.init(code: "x", line: .firstLine)), at: 60)
            try append("T1", .closed(code: "x"), at: 120)
            // T2 is registered twice: its clock runs from the first (90 minutes, not 60).
            try append("T2", registration("T2"), at: 0)
            try append("T2", .workStarted(agent: "a"), at: 10)
            try append("T2", registration("T2"), at: 30)
            try append("T2", .resolved(.init(code: "x", line: .firstLine)), at: 90)
            // T3 is closed, then worked on and resolved again with no reopen event: one implied reopening.
            try append("T3", registration("T3"), at: 0)
            try append("T3", .resolved(.init(code: "x", line: .firstLine)), at: 10)
            try append("T3", .closed(code: "x"), at: 20)
            try append("T3", .workStarted(agent: "a"), at: 30)
            try append("T3", .resolved(.init(code: "x", line: .firstLine)), at: 40)
            // T4 closes, leaves memory (7 days), and is resolved again 10 days later: not a new ticket,
            // not a second first resolution, but a reopening.
            try append("T4", registration("T4"), at: 0)
            try append("T4", .resolved(.init(code: "x", line: .firstLine)), at: 10)
            try append("T4", .closed(code: "x"), at: 20)
            try append("T5", registration("T5"), at: 14_400)  // ten days later: T4 leaves memory
            try append("T4", .resolved(.init(code: "x", line: .firstLine)), at: 14_410)

            let report = try ProjectionEngine.replay(log).metrics()
            let m = report.total
            #expect(m.registered == 5)
            #expect(m.openedWithoutRegistration == 1)  // T1
            #expect(m.repeatedRegistrations == 1)  // T2
            #expect(m.resolved == 6)  // T1, T2, T3 twice, T4 twice
            #expect(m.firstResolutions == 4)
            #expect(m.reopened == 2)  // T3, T4
            #expect(m.impliedReopenings == 2)
            #expect(m.reopenedTicketRate == 0.5)
            #expect(m.meanTimeToResolveSeconds == 2550)  // (3600 + 5400 + 600 + 600) / 4
            #expect(m.backlog == 1)  // T5
            // No assignment or escalation anywhere: these cannot be judged.
            #expect(m.firstContactResolutionRate == nil)
            #expect(m.firstLineResolutionRate == nil)
            #expect(m.escalationRate == nil)
            #expect(m.reassignmentRate == nil)
            #expect(report.notes == [
                "1 of 5 tickets begin without a registration: they open at their first event",
                "1 registrations of tickets that already existed were applied as updates, without restarting their clocks",
                "2 of 2 reopenings have no reopen event: a resolved or closed ticket was worked on or resolved again",
                "5 of 5 tickets state no priority: grouped by priority they are (none)",
                "the log records no assignment or escalation: first-contact and first-line resolution, escalation, reassignment and ping-pong cannot be judged (null)",
                "no ticket has an SLA attached: SLA compliance cannot be computed (null)",
            ])
            // Inflow: five openings and two reopenings, in their weeks.
            #expect(report.flows.map(\.inflow).reduce(0, +) == 7)
            // Problem areas count each incident once: T4's late event does not count it again.
            var options = ProjectionOptions()
            options.problemAreas = ProblemAreaOptions(dimension: .category)
            #expect(try ProjectionEngine.replay(log, options: options).problemAreas().incidents == 5)
        }
    }
}
