import EventLog
import LedgerBackendsTesting
import Foundation
import PostgresEventLog
import Testing
import TicketLedgerTesting

/// What only the PostgreSQL backend has: several hosts on one ledger, and the
/// server enforcing the ledger's rules whatever a client does.
@Suite("PostgreSQL backend")
struct PostgresTests {
    @Test("three processes append concurrently while a reader follows live: gapless, every event once, in order")
    func threeProcessesAndALiveReader() async throws {
        try await withFreshLedger(.postgres) { url in
            let reader = try openLedger(url)
            let perProcess = 3000
            let total = 3 * perProcess
            async let followed: [RecordedEvent] = {
                var events: [RecordedEvent] = []
                for try await event in reader.subscribe(from: 1, batchSize: 100) {
                    events.append(event)
                    if events.count == total { break }
                }
                return events
            }()
            let helpers = try ["p", "q", "r"].map { prefix in
                try HelperProcess(["append", url, prefix, String(perProcess), "durable"])
            }
            for helper in helpers {
                #expect(helper.waitUntilExit() == 0)
                #expect(helper.output.last == "done")
            }
            let events = try await followed
            #expect(events.map(\.position) == Array(1...UInt64(total)))
            let payloads = events.map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(Set(payloads) == Set(["p", "q", "r"].flatMap { prefix in (0..<perProcess).map { "\(prefix) \($0)" } }))
            // Each process's own events appear in the order it appended them.
            for prefix in ["p", "q", "r"] {
                let own = payloads.filter { $0.hasPrefix(prefix + " ") }
                #expect(own == (0..<perProcess).map { "\(prefix) \($0)" })
            }
            let acked = helpers.flatMap { $0.output.filter { $0.hasPrefix("ack ") }.map { $0.split(separator: " ")[1] } }
            #expect(Set(acked).count == total)
            try checkLedger(reader, expectedPayloads: Set(payloads))
        }
    }

    @Test("the server itself refuses gaps, a second writer of one stream version, a stored id and any change")
    func constraintsInTheDatabase() async throws {
        try await withFreshLedger(.postgres) { url in
            let log = try PostgresEventLog(url: url)
            _ = try log.append([sampleEvent("a"), sampleEvent("b")], to: "s")
            let table = log.eventsTable
            let record = "'\\x" + String(repeating: "00", count: 200) + "'::bytea"
            func refused(_ sql: String, _ why: String) {
                let error = #expect(throws: EventLogError.self, "\(why)") { try log.execute(unsafeSQL: sql) }
                #expect(error?.message.contains("PostgreSQL") == true, "\(error?.message ?? "")")
            }
            refused("INSERT INTO \(table) (position, stream, version, event_id, record) VALUES (4, 's', 3, '\\x01'::bytea || '\\x000000000000000000000000000000'::bytea, \(record))", "a gap in positions")
            refused("INSERT INTO \(table) (position, stream, version, event_id, record) VALUES (3, 's', 2, '\\x02'::bytea || '\\x000000000000000000000000000000'::bytea, \(record))", "a second version 2 of stream s")
            refused("INSERT INTO \(table) (position, stream, version, event_id, record) VALUES (3, 't', 2, '\\x03'::bytea || '\\x000000000000000000000000000000'::bytea, \(record))", "a gap in stream t's versions")
            refused("INSERT INTO \(table) (position, stream, version, event_id, record) SELECT 3, 'u', 1, event_id, record FROM \(table) WHERE position = 1", "a stored event id")
            refused("UPDATE \(table) SET stream = 'x' WHERE position = 2", "an update")
            refused("DELETE FROM \(table) WHERE position = 2", "a delete")
            refused("TRUNCATE \(table)", "a truncate")
            #expect(try log.lastPosition() == 2)
            #expect(try log.verify().isValid)
        }
    }

    @Test("a read-only role reads and verifies but cannot append, even with its own SQL")
    func readOnlyRole() async throws {
        try await withFreshLedger(.postgres) { url in
            let owner = try PostgresEventLog(url: url)
            _ = try owner.append([sampleEvent("a")], to: "s")
            let schema = owner.name
            let role = "reader_\(schema.suffix(8))"
            try owner.execute(unsafeSQL: "CREATE ROLE \(role) LOGIN")
            try owner.execute(unsafeSQL: "GRANT USAGE ON SCHEMA \(schema) TO \(role)")
            try owner.execute(unsafeSQL: "GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(role)")
            var configuration = try PostgresLedgerConfiguration(url: url)
            configuration.username = role
            configuration.access = .readOnly
            let reader = try PostgresEventLog(configuration: configuration)
            #expect(try reader.verify().isValid)
            #expect(try reader.head() == owner.head())
            let refused = #expect(throws: EventLogError.self) { try reader.append([sampleEvent("b")], to: "s") }
            #expect(refused?.code == .readOnly)
            let sql = #expect(throws: EventLogError.self) {
                try reader.execute(unsafeSQL: "INSERT INTO \(reader.eventsTable) (position, stream, version, event_id, record) SELECT 2, 'z', 1, event_id, record FROM \(reader.eventsTable)")
            }
            #expect(sql?.code == .readOnly, "\(sql?.message ?? "")")
            reader.close()
            owner.close()
        }
    }

    @Test("another process's appends wake a subscriber through NOTIFY, long before its poll interval")
    func notificationsWake() async throws {
        try await withFreshLedger(.postgres) { url in
            var configuration = try PostgresLedgerConfiguration(url: url)
            // A poll this far apart cannot have delivered what arrives before it.
            configuration.pollInterval = .seconds(3600)
            let log = try PostgresEventLog(configuration: configuration)
            // The subscriber runs on an executor of its own and times itself: in the
            // full run, other tests keep both threads of the cooperative pool busy for
            // minutes (child processes they wait for), which delays this test's own
            // task, however fast the wake-up was; the wake-up is what is tested here.
            let executor = QueueExecutor()
            let received = Task(executorPreference: executor) {
                let start = ContinuousClock.now
                var positions: [UInt64] = []
                for try await event in log.subscribe(from: 1) {
                    positions.append(event.position)
                    if positions.count == 3 { break }
                }
                return (positions, ContinuousClock.now - start)
            }
            // The subscriber reads an empty ledger, then waits; the appends come from
            // another process, whenever it starts (slowly, on a loaded machine).
            let watchdog = Task {
                try await Task.sleep(for: .seconds(1800))
                received.cancel()
            }
            let helper = try HelperProcess(["append", url, "other", "3", "durable"])
            #expect(helper.waitUntilExit() == 0)
            let (positions, waited) = try await received.value
            watchdog.cancel()
            #expect(positions == [1, 2, 3])
            #expect(waited < .seconds(1800), "the subscriber waited \(waited): a poll, not a notification, woke it")
            log.close()
        }
    }

    @Test("a URL is parsed, checked and shown without its password")
    func urls() throws {
        let configuration = try PostgresLedgerConfiguration(url: "postgres://desk:s%40cret@db.internal:6543/service?schema=helpdesk&sslmode=require")
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "desk")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "service")
        #expect(configuration.schema == "helpdesk")
        #expect(configuration.tls == .require)
        #expect(configuration.location == "postgres://desk@db.internal:6543/service?schema=helpdesk")
        #expect(configuration.timeout == .seconds(20))
        #expect(try PostgresLedgerConfiguration(url: "postgres://db/x?timeout=3").timeout == .seconds(3))
        for bad in ["postgres://db/", "postgres:///x", "postgres://db/x?schema=Bad-Name", "postgres://db/x?sslmode=maybe", "postgres://db/x?timeout=0",
                    "postgres://db/x?timeout=soon", "postgres://db/x?wait=3"] {
            let error = #expect(throws: EventLogError.self, "\(bad)") { try PostgresLedgerConfiguration(url: bad) }
            #expect(error?.code == .invalidArgument)
        }
    }
}

/// A task executor on a serial dispatch queue of its own, outside the cooperative pool.
final class QueueExecutor: TaskExecutor, @unchecked Sendable {
    // Safety: the queue is only used to run jobs; it is thread-safe itself.
    private let queue = DispatchQueue(label: "TicketLedger.tests.executor")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
