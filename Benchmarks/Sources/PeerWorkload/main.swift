// The peer comparison's TicketLedger side (Benchmarks/peer-eventsourcing.py runs
// it beside Python's eventsourcing): N tickets of nine events each, every ticket
// decided in memory and appended as one durable batch; then a full replay into
// the standard projections. Prints one JSON line.
//
//   PeerWorkload LEDGER-FOLDER TICKETS
import EventLog
import Foundation
import Projections
import TicketLedger

let arguments = CommandLine.arguments
let path = arguments[1]
let count = Int(arguments[2])!
let log = try EventLog(path: path)
let start = Timestamp(seconds: 1_704_096_000)
let op = ActorRef(.agent, "op-1")

func ticketEvents(_ index: Int) throws -> [ProposedEvent] {
    let number = "INC-" + String(index + 1)
    var state: Ticket?
    var proposed: [ProposedEvent] = []
    let commands: [TicketCommand] = [
        .register(Registration(channel: .phone, caller: "caller-\(index % 400)", title: "Till \(index % 40) frozen", category: "Hardware", service: "Point of Sale", configurationItems: ["POS-\(index % 40)"], impact: .medium, urgency: .high)),
        .attachSLA(.standard),
        .assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: ""),
        .startWork(agent: "op-1"),
        .escalate(toLine: .secondLine, group: "2nd Line", department: nil, reason: "beyond first line"),
        .startWork(agent: "sl-1"),
        .resolve(code: "replaced", kind: .fix, note: ""),
        .recordSatisfaction(score: 4, comment: ""),
        .close(code: "confirmed"),
    ]
    for (step, command) in commands.enumerated() {
        let time = Timestamp(microseconds: start.microseconds + Int64(index) * 60_000_000 + Int64(step) * 600_000_000)
        for body in try TicketCommand.decide(command, state: state, number: number, context: DecisionContext(now: time)) {
            state = Ticket.evolve(state, streamID: number, event: DeskEvent(body), occurredAt: time)
            proposed.append(TicketEventCodec.proposed(DeskEvent(body), occurredAt: time, actor: op))
        }
    }
    return proposed
}

let appendStart = Date()
var events = 0
for index in 0..<count {
    let batch = try ticketEvents(index)
    _ = try log.append(batch, to: "INC-" + String(index + 1), expecting: .noStream)
    events += batch.count
}
let appendSeconds = Date().timeIntervalSince(appendStart)

let replayStart = Date()
let projector = try ProjectionEngine.replay(log)
let replaySeconds = Date().timeIntervalSince(replayStart)
precondition(projector.metrics().total.closed == count)
log.close()
print("{\"system\":\"TicketLedger\",\"tickets\":\(count),\"events\":\(events),\"appendEventsPerSecond\":\(Int(Double(events) / appendSeconds)),\"replayEventsPerSecond\":\(Int(Double(events) / replaySeconds))}")
