import EventLog
import Testing
import TicketLedger

let registration = Registration(
    kind: .incident, channel: .phone, caller: "ann", title: "Till 4 frozen", category: "Hardware",
    service: "Point of Sale", configurationItems: ["POS-4"], impact: .medium, urgency: .high)

/// Applies commands in order with decide + evolve, as the Desk does, without a log.
func replay(_ commands: [TicketCommand], number: String = "INC-000001") throws -> Ticket? {
    var state: Ticket?
    for (index, command) in commands.enumerated() {
        let time = Timestamp(seconds: 1_700_000_000 + Int64(index) * 60)
        for body in try TicketCommand.decide(command, state: state, number: number, context: DecisionContext(now: time)) {
            state = Ticket.evolve(state, streamID: number, event: DeskEvent(body), occurredAt: time)
        }
    }
    return state
}

@Suite("Decisions")
struct DecideTests {
    @Test("priority comes from the ITIL matrix and the matrix version is recorded")
    func priority() throws {
        let ticket = try #require(try replay([.register(registration)]))
        #expect(ticket.priority == 2)  // medium impact, high urgency
        #expect(ticket.matrixVersion == 1)
        #expect(PriorityMatrix.itil.priority(impact: .high, urgency: .high) == 1)
        #expect(PriorityMatrix.itil.priority(impact: .low, urgency: .low) == 5)
    }

    @Test("a priority matrix that is not 3 × 3 is refused with an error, not a crash")
    func priorityMatrixShape() throws {
        #expect(try PriorityMatrix(version: 2, table: [[1, 1, 2], [2, 3, 4], [3, 4, 5]]).priority(impact: .high, urgency: .high) == 1)
        for table: [[Priority]] in [[[1, 2], [3, 4]], [[1, 2, 3], [2, 3, 4]], [[1, 2, 3], [2, 3], [3, 4, 5]], []] {
            #expect(throws: DeskError.self, "\(table)") { _ = try PriorityMatrix(version: 2, table: table) }
        }
    }

    @Test("a ticket's life: escalations, suspension, resolution, reopening, closure")
    func life() throws {
        let ticket = try #require(try replay([
            .register(registration),
            .assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: ""),
            .startWork(agent: "op-1"),
            .escalate(toLine: .secondLine, group: "2nd Line", department: nil, reason: "beyond first line"),
            .startWork(agent: "sl-1"),
            .suspend(.awaitingVendor, note: ""),
            .resume,
            .escalate(toLine: .specialist, group: "POS Terminal Support", department: .posTerminals, reason: ""),
            .notifyManagement(manager: "boss", reason: "VIP"),
            .resolve(code: "replaced", kind: .fix, note: ""),
            .reopen(reason: "again"),
            .resolve(code: "replaced", kind: .fix, note: ""),
            .recordSatisfaction(score: 4, comment: ""),
            .close(code: ""),
        ]))
        #expect(ticket.status == .closed)
        #expect(ticket.line == .specialist)
        #expect(ticket.department == .posTerminals)
        #expect(ticket.escalationCount == 2)
        #expect(ticket.hierarchicalEscalationCount == 1)
        #expect(ticket.reopenCount == 1)
        #expect(ticket.resolutionCount == 2)
        #expect(ticket.suspendedMicroseconds == 60_000_000)
        #expect(ticket.groupHistory == ["Service Desk", "2nd Line", "POS Terminal Support"])
        #expect(ticket.satisfactionScore == 4)
        #expect(ticket.version == 14)
        #expect(ticket.resolution?.line == .specialist)
    }

    @Test("invalid commands are refused with a clear message")
    func invalidCommands() throws {
        let open: [TicketCommand] = [.register(registration)]
        let resolved = open + [.resolve(code: "ok", kind: .fix, note: "")]
        let closed = resolved + [.close(code: "")]
        let cancelled = open + [.cancel(reason: "dup")]
        let onFirstLine = open + [.assign(group: "Service Desk", line: .firstLine, department: nil, agent: nil, reason: "")]
        let cases: [([TicketCommand], TicketCommand, DeskError.Code, String)] = [
            (closed, .resolve(code: "x", kind: .fix, note: ""), .invalidTransition, "closed, which is final"),
            (cancelled, .assign(group: "G", line: .secondLine, department: nil, agent: nil, reason: ""), .invalidTransition, "cancelled, which is final"),
            (open, .reopen(reason: ""), .invalidTransition, "never resolved"),
            (open, .recordSatisfaction(score: 5, comment: ""), .invalidTransition, "not resolved yet"),
            (onFirstLine, .escalate(toLine: .firstLine, group: "G", department: nil, reason: ""), .invalidTransition, "already on the 1st line"),
            (open, .reprioritise(impact: .low, urgency: .low, priorityOverride: 9, reason: ""), .invalidArgument, "priority 9 is outside the matrix"),
            ([], .register(Registration(channel: .phone, caller: "a", title: "t", category: "c", service: "s", priorityOverride: 0)), .invalidArgument, "priority 0 is outside the matrix"),
            (open, .register(registration), .invalidTransition, "registered already"),
            ([], .resolve(code: "", kind: .fix, note: ""), .notFound, "no such ticket"),
            (resolved, .assign(group: "G", line: .firstLine, department: nil, agent: nil, reason: ""), .invalidTransition, "reopen it first"),
            (open, .resume, .invalidTransition, "not suspended"),
            (open, .suspend(.awaitingCaller, note: ""), .invalidTransition, "not assigned yet"),
            (resolved, .recordSatisfaction(score: 6, comment: ""), .invalidArgument, "outside 1...5"),
            (resolved + [.recordSatisfaction(score: 5, comment: "")], .recordSatisfaction(score: 4, comment: ""), .invalidTransition, "recorded already"),
            (open, .close(code: ""), .invalidTransition, "not resolved"),
            (closed, .reopen(reason: ""), .invalidTransition, "final"),
            (open, .merge(into: "INC-000001"), .invalidArgument, "into itself"),
            (open, .unlink(.problem, target: "PRB-1"), .invalidArgument, "not linked"),
            (onFirstLine + [.escalate(toLine: .specialist, group: "S", department: .billing, reason: "")], .escalate(toLine: .secondLine, group: "G", department: nil, reason: ""), .invalidTransition, "below"),
        ]
        for (history, command, code, text) in cases {
            let state = try replay(history)
            let error = #expect(throws: DeskError.self) {
                try TicketCommand.decide(command, state: state, number: "INC-000001", context: DecisionContext(now: Timestamp(seconds: 1_800_000_000)))
            }
            #expect(error?.code == code, "\(command.name): \(error?.message ?? "")")
            #expect(error?.message.contains(text) == true, "\(command.name): \(error?.message ?? "")")
            #expect(error?.message.contains("INC-000001") == true)
        }
    }

    @Test("an SLA's due times are computed on its calendar when attached, and recorded")
    func slaDueTimes() throws {
        // Registered Friday 2024-01-05 17:00 UTC on a Mon–Fri 9–18 calendar.
        let calendar = BusinessCalendar.weekdays(name: "office", from: 9, to: 18)
        let policy = SLAPolicy(name: "office", calendar: calendar, targets: [SLATarget(priority: 2, responseSeconds: 2 * 3600, resolutionSeconds: 9 * 3600)])
        let friday = Timestamp(seconds: 1_704_474_000)
        var state: Ticket?
        for body in try TicketCommand.decide(.register(registration), state: nil, number: "INC-000001", context: DecisionContext(now: friday)) {
            state = Ticket.evolve(state, streamID: "INC-000001", event: DeskEvent(body), occurredAt: friday)
        }
        let events = try TicketCommand.decide(.attachSLA(policy), state: state, number: "INC-000001", context: DecisionContext(now: friday))
        guard case .slaAttached(let sla) = events.first else { Issue.record("no SLA event"); return }
        // 1 h on Friday, 1 h on Monday: due Monday 10:00. 9 h: Friday 1 h + Monday 8 h = Monday 17:00.
        #expect(sla.responseDue == Timestamp(seconds: 1_704_708_000))
        #expect(sla.resolutionDue == Timestamp(seconds: 1_704_733_200))
        #expect(calendar.businessSeconds(from: friday, to: sla.resolutionDue) == 9 * 3600)
    }
}
