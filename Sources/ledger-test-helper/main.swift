// A child process for EventLogTests: appends to a ledger and reports each
// acknowledged append on stdout, so a test can kill it at any moment (SIGKILL)
// or run several at once against one ledger.
//
//   ledger-test-helper append LEDGER STREAM-PREFIX COUNT durable|buffered
//       appends COUNT single-event batches, printing "ack POSITION EVENT-ID"
//       after each; prints "ready" first and "done" at the end. LEDGER is a
//       folder (LMDB) or a postgres:// URL (PostgreSQL; the mode is the server's).
//   ledger-test-helper append-retrying LEDGER STREAM-PREFIX SECONDS
//       appends single-event batches for SECONDS; an append that fails with
//       `unavailable` (a server restarting) is retried with the same event
//       until it is acknowledged, printing "retry INDEX MESSAGE". Prints
//       "ack POSITION EVENT-ID" per acknowledged append, then "longest-call
//       MILLISECONDS" (the longest any one call took to return) and "done".
//   ledger-test-helper read-only PATH
//       drops root privileges if it has them, opens PATH read-only and prints
//       "events N head HASH".
import EventLog
import PostgresEventLog

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = Array("ledger-test-helper: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func say(_ line: String) {
    print(line)
    fflush(nil)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: append PATH PREFIX COUNT MODE | read-only PATH") }

do {
    switch arguments[1] {
    case "append":
        guard arguments.count == 6, let count = Int(arguments[4]) else { fail("usage: append PATH PREFIX COUNT MODE") }
        var configuration = EventLogConfiguration()
        configuration.durability = arguments[5] == "buffered" ? .buffered : .durable
        configuration.initialMapSize = 1 << 20
        let log = try openEventStore(at: arguments[2], configuration: configuration)
        say("ready")
        for index in 0..<count {
            let event = ProposedEvent(
                type: "Appended", occurredAt: .now(), actor: ActorRef(.system, "helper \(getpid())"),
                payload: Array("\(arguments[3]) \(index)".utf8))
            let result = try log.append([event], to: "\(arguments[3])-\(index % 7)")
            say("ack \(result.positions.lowerBound) \(event.id)")
        }
        log.close()
        say("done")
    case "append-retrying":
        guard arguments.count == 5, let seconds = Double(arguments[4]) else { fail("usage: append-retrying LEDGER PREFIX SECONDS") }
        let log = try openEventStore(at: arguments[2])
        say("ready")
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(seconds * 1000))
        var longest = Duration.zero
        var index = 0
        while clock.now < end {
            let event = ProposedEvent(
                type: "Appended", occurredAt: .now(), actor: ActorRef(.system, "helper \(getpid())"),
                payload: Array("\(arguments[3]) \(index)".utf8))
            while true {
                let started = clock.now
                do {
                    let result = try log.append([event], to: "\(arguments[3])-\(index % 7)")
                    longest = max(longest, clock.now - started)
                    say("ack \(result.positions.lowerBound) \(event.id)")
                    break
                } catch let error as EventLogError where error.code == .unavailable {
                    longest = max(longest, clock.now - started)
                    say("retry \(index) \(error.message)")
                    usleep(50_000)
                }
            }
            index += 1
        }
        log.close()
        say("longest-call \(longest.components.seconds * 1000 + longest.components.attoseconds / 1_000_000_000_000_000)")
        say("done")
    case "read-only":
        if getuid() == 0 {
            // Root may write anything; become nobody so the files really are read-only to us.
            guard setgid(65534) == 0, setuid(65534) == 0 else { fail("cannot drop privileges") }
        }
        let log = try EventLog(path: arguments[2], configuration: EventLogConfiguration(access: .readOnly))
        let report = try log.verify()
        say("events \(report.eventsChecked) valid \(report.isValid) head \(report.head.hashHex)")
    default:
        fail("unknown command \(arguments[1])")
    }
} catch {
    fail("\(error)")
}
