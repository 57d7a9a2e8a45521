// The event log on its own: append with optimistic concurrency, retry
// idempotently, follow the log, verify the chain.
//
//   swift run log-quickstart [LEDGER-FOLDER]
import EventLog

#if canImport(Glibc)
import Glibc
#endif

let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "quickstart-ledger"
let log = try EventLog(path: path)
defer { log.close() }

let stream = "INC-\(try log.lastPosition() + 1)"
let registered = ProposedEvent(
    type: "TicketRegistered", occurredAt: .now(), actor: ActorRef(.caller, "ann@example.org"),
    payload: Array(#"{"title":"Printer jams on floor 3"}"#.utf8))
let first = try log.append([registered], to: stream, expecting: .noStream)
print("registered \(stream) at position \(first.positions.lowerBound)")

// A network retry of the same append: same positions, nothing written twice.
let retry = try log.append([registered], to: stream, expecting: .noStream)
print("retry returned position \(retry.positions.lowerBound), already stored: \(retry.wasAlreadyStored)")

// Someone else's view of the stream is out of date: a typed error with the actual version.
do {
    _ = try log.append([ProposedEvent(type: "TicketAssigned", occurredAt: .now(), payload: [])], to: stream, expecting: .exactly(5))
} catch let error as EventLogError where error.code == .wrongExpectedVersion {
    print("conflict: \(error.message) (actual version \(error.actualVersion ?? 0))")
}

// Follow the stream's events from its first position.
var followed = 0
for try await event in log.subscribe(from: first.positions.lowerBound) {
    print("followed #\(event.position) \(event.type) v\(event.streamVersion)")
    followed += 1
    if followed == 1 { break }
}

let report = try log.verify()
print("verify: \(report.isValid ? "valid" : "INVALID"), \(report.eventsChecked) events, head \(report.head.hashHex.prefix(16))...")
