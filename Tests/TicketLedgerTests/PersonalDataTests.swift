import Crypto
import EventLog
import Foundation
import PostgresEventLog
import PostgresSubjectKeys
import Synchronization
import Testing
import TicketLedger
import TicketLedgerTesting

@Suite("Personal data")
struct PersonalDataTests {
    @Test("sealed text reveals its plaintext; equal text of one subject seals to equal bytes; a forgotten subject reads as erased, its key in no file")
    func sealRevealForget() async throws {
        try await withTemporaryDirectory { path in
            let store = try SubjectKeyDirectory(path: path + "/keys", create: true)
            let personal = PersonalData(keys: store)
            let event = DeskEvent(.registered(.init(
                number: "INC-000001", kind: .incident, channel: .phone, caller: "Ann Example", client: ClientRef("Shop 4"),
                title: "Ann's till is frozen", category: "Hardware", service: "POS", configurationItems: ["POS-4"], impact: .medium,
                urgency: .high, priority: 3, matrixVersion: 1)), attributes: ["phone": "+32 555 0101", "store": "4"])
            let (sealed, actor) = try personal.seal(event, actor: ActorRef(.caller, "Ann Example"), caller: "Ann Example", personalAttributes: ["phone"])
            guard case .registered(let registration) = sealed.body else { Issue.record("not a registration"); return }
            #expect(PersonalData.isSealed(registration.caller) && PersonalData.isSealed(registration.title))
            #expect(registration.category == "Hardware" && registration.client.id == "Shop 4")
            #expect(PersonalData.isSealed(sealed.attributes["phone"]!) && sealed.attributes["store"] == "4")
            #expect(actor.id == registration.caller, "a caller acting is the same pseudonym as the caller registered")
            #expect(personal.reveal(sealed) == event)
            #expect(personal.reveal(actor) == ActorRef(.caller, "Ann Example"))

            // Deterministic per subject, also through a new PersonalData over the same store; another subject differs.
            let again = try PersonalData(keys: SubjectKeyDirectory(path: path + "/keys")).seal(event, actor: .unknown, caller: "Ann Example")
            guard case .registered(let second) = again.event.body else { return }
            #expect(second.caller == registration.caller && second.title == registration.title)
            let bob = try personal.seal(DeskEvent(.commentAdded(visibility: .publicReply, text: "Ann's till is frozen")), actor: .unknown, caller: "Bob")
            guard case .commentAdded(_, let bobText) = bob.event.body else { return }
            #expect(PersonalData.subject(of: bobText) != PersonalData.subject(of: registration.title))
            // A later event of the ticket is sealed under the caller stored on it (sealed).
            let later = try personal.seal(DeskEvent(.reopened(reason: "still frozen")), actor: .unknown, caller: registration.caller)
            guard case .reopened(let reason) = later.event.body else { return }
            #expect(PersonalData.subject(of: reason) == PersonalData.subject(of: registration.caller))

            let id = try #require(PersonalData.subject(of: registration.caller))
            let keyBytes = try #require(try store.key(for: id)).withUnsafeBytes { Array($0) }
            #expect(!files(under: [path + "/keys"], containing: keyBytes).isEmpty)
            #expect(try personal.forget(named: "Ann Example") == id)
            #expect(try personal.forget(named: "Ann Example") == nil, "forgetting twice finds nothing")
            #expect(personal.reveal(registration.title) == "[erased \(id.short)]")
            #expect(personal.reveal(reason) == "[erased \(id.short)]")
            #expect(personal.reveal(bobText) == "Ann's till is frozen")
            #expect(PersonalData(keys: try SubjectKeyDirectory(path: path + "/keys")).reveal(registration.caller) == "[erased \(id.short)]")
            #expect(files(under: [path + "/keys"], containing: keyBytes).isEmpty, "the destroyed key is in no file of the store")
            #expect(files(under: [path + "/keys"], containing: Array("Ann Example".utf8)).isEmpty, "no name is stored")
            // Nothing new can be sealed for the forgotten caller's ticket; empty text needs no key.
            #expect(throws: DeskError.self) { try personal.seal(DeskEvent(.reopened(reason: "again")), actor: .unknown, caller: registration.caller) }
            #expect(try personal.seal(DeskEvent(.reopened(reason: "")), actor: .unknown, caller: registration.caller).event.body == .reopened(reason: ""))
            // The same name calling again is a new subject.
            let returning = try personal.seal(event, actor: .unknown, caller: "Ann Example")
            guard case .registered(let third) = returning.event.body else { return }
            #expect(PersonalData.subject(of: third.caller) != id)
            #expect(personal.reveal(third.caller) == "Ann Example")
        }
    }

    @Test("processes sharing a key store: the first to make a subject's key wins, every other gets that one")
    func sharedStore() async throws {
        try await withTemporaryDirectory { path in
            _ = try SubjectKeyDirectory(path: path + "/keys", create: true)
            // Separate store values (as separate processes have), racing for the same new names.
            let made = Mutex<[String: Set<SubjectID>]>([:])
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                for name in ["Ann", "Bob", "Cleo"] {
                    guard let store = try? SubjectKeyDirectory(path: path + "/keys"), let subject = try? store.subjectKey(for: name) else { return }
                    made.withLock { made in _ = made[name, default: []].insert(subject.id) }
                }
            }
            let subjects = made.withLock { $0 }
            #expect(subjects.count == 3 && subjects.values.allSatisfy { $0.count == 1 }, "\(subjects)")
            let store = try SubjectKeyDirectory(path: path + "/keys")
            for (name, ids) in subjects { #expect(try store.subject(named: name) == ids.first) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/keys/keys").count == 3, "the losers' keys are removed")
        }
    }

    @Test("sealed text is AES-256-GCM-SIV as RFC 8452 defines it: the bytes Python's cryptography computes, both ways")
    func independentVector() throws {
        // Key 0x01 × 32, subject 0x07 × 8, nonce 12 zero bytes, associated data the subject:
        // AESGCMSIV(key).encrypt(bytes(12), b"Ann's till is frozen", subject), base64 of subject ‖ that (Python's cryptography 48).
        let expected = "\u{1}1BwcHBwcHBweNWbm55M01qQKvLs3Mn12aVdIsTV/PznDwtDeDCE4N4lxpdCg="
        struct FixedKey: SubjectKeyStore {
            let id = SubjectID(bytes: [UInt8](repeating: 7, count: 8))!
            func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) { (id, SymmetricKey(data: [UInt8](repeating: 1, count: 32))) }
            func subject(named name: String) throws(DeskError) -> SubjectID? { id }
            func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? { SymmetricKey(data: [UInt8](repeating: 1, count: 32)) }
            func destroyKey(of id: SubjectID) throws(DeskError) -> Bool { false }
        }
        let personal = PersonalData(keys: FixedKey())
        let sealed = try personal.seal(DeskEvent(.reopened(reason: "Ann's till is frozen")), actor: .unknown, caller: "Ann")
        #expect(sealed.event.body == .reopened(reason: expected))
        #expect(personal.reveal(expected) == "Ann's till is frozen")
    }

    @Test("an embedder's key store that gives a key AES-GCM-SIV does not take is an error, not a crash")
    func foreignKeySize() throws {
        struct OddKeys: SubjectKeyStore {
            let id = SubjectID(bytes: [1, 2, 3, 4, 5, 6, 7, 8])!
            func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) { (id, SymmetricKey(size: .bits192)) }
            func subject(named name: String) throws(DeskError) -> SubjectID? { id }
            func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? { SymmetricKey(size: .bits192) }
            func destroyKey(of id: SubjectID) throws(DeskError) -> Bool { false }
        }
        do {
            _ = try PersonalData(keys: OddKeys()).seal(DeskEvent(.reopened(reason: "again")), actor: .unknown, caller: "Ann")
            Issue.record("a 192-bit key sealed")
        } catch {
            #expect(error.code == .storage && error.message.contains("192 bits"), "\(error)")
        }
    }

    @Test("a subject forgotten by another process reads as erased here once the key is checked again, and is never sealed under again")
    func forgottenElsewhere() async throws {
        try await withTemporaryDirectory { path in
            let here = PersonalData(keys: try SubjectKeyDirectory(path: path + "/keys", create: true), revalidateAfter: .milliseconds(50))
            let sealed = try here.seal(DeskEvent(.reopened(reason: "still frozen")), actor: .unknown, caller: "Ann Example")
            guard case .reopened(let reason) = sealed.event.body else { return }
            #expect(here.reveal(reason) == "still frozen")
            let elsewhere = PersonalData(keys: try SubjectKeyDirectory(path: path + "/keys"))
            let id = try #require(try elsewhere.forget(named: "Ann Example"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(here.reveal(reason) == "[erased \(id.short)]")
            let again = try here.seal(DeskEvent(.reopened(reason: "still frozen")), actor: ActorRef(.caller, "Ann Example"), caller: "Ann Example")
            guard case .reopened(let newReason) = again.event.body else { return }
            #expect(PersonalData.subject(of: newReason) != id && PersonalData.subject(of: again.actor.id) != id, "a new subject, not the destroyed key")
            #expect(here.reveal(newReason) == "still frozen")
        }
    }

    @Test("a damaged or missing key store is an error naming the file, never an erased field")
    func damagedStore() async throws {
        try await withTemporaryDirectory { path in
            #expect(throws: DeskError.self) { try SubjectKeyDirectory(path: path + "/none") }
            let store = try SubjectKeyDirectory(path: path + "/keys", create: true)
            let (id, _) = try store.subjectKey(for: "Ann")
            let file = path + "/keys/keys/" + id.description
            var bytes = Array(FileManager.default.contents(atPath: file)!)
            bytes[30] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            do {
                _ = try store.key(for: id)
                Issue.record("a damaged key file was read")
            } catch let error as DeskError {
                #expect(error.message.contains("keys/" + id.description) && error.message.contains(path + "/keys") && error.message.contains("damaged"), "\(error)")
            }
            let sealed = try PersonalData(keys: try SubjectKeyDirectory(path: path + "/keys")).seal(
                DeskEvent(.commentAdded(visibility: .publicReply, text: "hello")), actor: .unknown, caller: "Bob")
            guard case .commentAdded(_, let text) = sealed.event.body else { return }
            var damaged = Array(text.utf8)
            damaged[damaged.count - 3] = damaged[damaged.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(PersonalData(keys: store).reveal(String(decoding: damaged, as: UTF8.self)).hasPrefix("[unreadable"))
        }
    }

    @Test("a Desk seals what it writes and reveals what it returns; without PersonalData it refuses a ledger that seals")
    func desk() async throws {
        try await withTemporaryDirectory { path in
            let log = try EventLog(path: path + "/ledger", configuration: EventLogConfiguration(durability: .buffered))
            defer { log.close() }
            try PersonalData.markProtected(log, by: ActorRef(.system, "test"))
            let personal = PersonalData(keys: try SubjectKeyDirectory(path: path + "/keys", create: true))
            var configuration = Desk.Configuration()
            configuration.personalAttributes = ["email"]
            let desk = Desk(log: log, configuration: configuration, personalData: personal)
            let ticket = try await desk.register(
                Registration(channel: .phone, caller: "Ann Example", title: "Till 4 frozen since Monday", category: "POS", service: "Retail"),
                by: ActorRef(.caller, "Ann Example"), attributes: ["email": "ann@example.org"])
            #expect(ticket.caller == "Ann Example" && ticket.title == "Till 4 frozen since Monday")
            let commented = try await desk.execute(.comment(.publicReply, text: "Ann says the screen is black"), on: ticket.number, by: ActorRef(.agent, "op-1"))
            #expect(commented.caller == "Ann Example")
            #expect(try desk.ticket(ticket.number)?.attributes["email"] == "ann@example.org")
            let history = try desk.history(ticket.number)
            #expect(history.first?.actor == ActorRef(.caller, "Ann Example"))
            #expect(history.contains { $0.event?.body == .commentAdded(visibility: .publicReply, text: "Ann says the screen is black") })
            // On disk, sealed: none of the plaintext is in the ledger's files.
            for text in ["Ann Example", "Till 4 frozen", "screen is black", "ann@example.org"] {
                #expect(files(under: [path + "/ledger"], containing: Array(text.utf8)).isEmpty, "\(text) in the ledger")
            }
            let stored = try log.readStream(ticket.number)
            #expect(PersonalData.isSealed(stored[0].event.actor.id))

            let clear = Desk(log: log)
            await #expect(throws: DeskError.self) { try await clear.execute(.comment(.publicReply, text: "x"), on: ticket.number, by: ActorRef(.agent, "op")) }

            #expect(try personal.forget(named: "Ann Example") != nil)
            let erased = try #require(try desk.ticket(ticket.number))
            #expect(erased.caller.hasPrefix("[erased ") && erased.title.hasPrefix("[erased ") && erased.attributes["email"]!.hasPrefix("[erased "))
            // The ticket can still be worked on without new personal text.
            let resolved = try await desk.execute(.resolve(code: "fixed", kind: .fix, note: ""), on: ticket.number, by: ActorRef(.agent, "op-1"))
            #expect(resolved.status == .resolved)
            #expect(try log.verify().isValid)
        }
    }
}

@Suite("Personal data in PostgreSQL")
struct PostgresPersonalDataTests {
    /// A fresh ledger URL, or the test is cancelled (failed where the server is required).
    func freshURL() throws -> String {
        if let url = PostgresTestServer.freshLedgerURL("keys") { return url }
        let reason = PostgresTestServer.unavailableReason ?? "no PostgreSQL server"
        if PostgresTestServer.isRequired { Issue.record("TICKETLEDGER_REQUIRE_POSTGRES is set but \(reason)") }
        try Test.cancel(Comment(rawValue: reason))
    }

    /// The bytes of the key table's files (after a checkpoint wrote them), or
    /// nil when the server's files cannot be read here.
    func tableFiles(_ log: PostgresEventLog) throws -> [UInt8]? {
        _ = try log.textRows(unsafeSQL: "CHECKPOINT")
        let path = try #require(try log.textRows(unsafeSQL: "SELECT current_setting('data_directory') || '/' || pg_relation_filepath('\(log.keyRecordsTable)')").first?.first ?? nil)
        guard FileManager.default.isReadableFile(atPath: path) else { return nil }
        var bytes: [UInt8] = []
        for segment in [path] + (1..<8).map({ path + ".\($0)" }) {
            if let data = FileManager.default.contents(atPath: segment) { bytes += data }
        }
        return bytes
    }

    @Test("a key destroyed in the subject_keys table is in none of the table's files on the server, also when a transaction that could still read it was open")
    func destroyedInTable() async throws {
        let url = try freshURL()
        let log = try PostgresEventLog(url: url)
        defer { log.close() }
        let personal = PersonalData(keys: try SubjectKeyDirectory(storage: PostgresSubjectKeyTable(log: log), create: true))
        let sealed = try personal.seal(DeskEvent(.reopened(reason: "Ann's till again")), actor: .unknown, caller: "Ann Example")
        guard case .reopened(let reason) = sealed.event.body else { return }
        let id = try #require(PersonalData.subject(of: reason))
        let key = try #require(try personal.keys.key(for: id)).withUnsafeBytes { Array($0) }
        guard let before = try tableFiles(log) else {
            if PostgresTestServer.isRequired { Issue.record("the server's data directory cannot be read here") }
            try Test.cancel("the server's data directory cannot be read here")
        }
        #expect(before.firstRange(of: key) != nil, "the key is in the table's file before")
        // A statement of another connection that began before the deletion could
        // still read the row: PostgreSQL keeps it, so the rewrite waits for it.
        let open = try PostgresTestServer.OpenStatement(seconds: 1)
        #expect(try personal.forget(named: "Ann Example") == id)
        #expect(open.hasEnded, "the removal waited for the open statement")
        open.wait()
        #expect(personal.reveal(reason) == "[erased \(id.short)]")
        let after = try #require(try tableFiles(log))
        #expect(after.firstRange(of: key) == nil, "the destroyed key is in no file of the table")
        #expect(try log.textRows(unsafeSQL: "SELECT count(*)::text FROM \(log.keyRecordsTable)").first?.first == "1", "only the index key is left")
    }

    @Test("a removal that cannot wait long enough for an open transaction names it; the key is deleted all the same, and gone from the files once the table is rewritten")
    func removalGivesUp() async throws {
        let url = try freshURL()
        let log = try PostgresEventLog(url: url)
        defer { log.close() }
        let table = PostgresSubjectKeyTable(log: log, purgeTimeout: .milliseconds(200))
        let personal = PersonalData(keys: try SubjectKeyDirectory(storage: table, create: true))
        let (id, key) = try personal.keys.subjectKey(for: "Bob Example")
        let bytes = key.withUnsafeBytes { Array($0) }
        let open = try PostgresTestServer.OpenStatement(seconds: 3)
        let error = try #require(throws: DeskError.self) { try personal.forget(id) }
        open.wait()
        #expect("\(error)".contains("are deleted and can no longer be read") && "\(error)".contains("process "), "\(error)")
        #expect(try personal.keys.key(for: id) == nil)
        guard try tableFiles(log) != nil else { return }
        _ = try log.textRows(unsafeSQL: "VACUUM FULL \(log.keyRecordsTable)")
        #expect(try tableFiles(log)?.firstRange(of: bytes) == nil, "the rewrite the error asks for removes the key's bytes")
    }
}
