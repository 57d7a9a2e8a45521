public import EventLog
public import Crypto
import _CryptoExtras
import Foundation
import Synchronization

/// A data subject's pseudonym in the ledger: 8 random bytes, drawn when the
/// subject's key is made. Nothing links it to the person once the key is gone.
public struct SubjectID: Hashable, Sendable, CustomStringConvertible {
    /// How many bytes an identifier has.
    public static let size = 8

    /// The bytes.
    public let bytes: [UInt8]

    /// An identifier from its ``size`` bytes, or `nil` for another length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.size else { return nil }
        self.bytes = Array(bytes)
    }

    /// An identifier from its 16 hexadecimal digits, as ``description`` writes them.
    public init?(hex: String) {
        guard let bytes = [UInt8](hexadecimal: hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// A new random identifier.
    public static func random() -> SubjectID {
        var generator = SystemRandomNumberGenerator()
        return SubjectID(bytes: (0..<size).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    /// The 16 hexadecimal digits.
    public var description: String { bytes.hexadecimal }
}

extension [UInt8] {
    /// Lower-case hexadecimal digits, two per byte.
    var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of an even number of hexadecimal digits, or `nil`.
    init?(hexadecimal text: String) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }
}

/// Where the keys of data subjects are kept, apart from the append-only log,
/// in a store that can really delete. ``SubjectKeyDirectory`` is one; an
/// embedder may keep keys in its own vault behind this protocol.
///
/// Losing a key store erases every subject whose key was in it: back it up,
/// and expire its backups, since a restored backup brings forgotten keys back.
public protocol SubjectKeyStore: Sendable {
    /// The identifier and key of the subject named `name` (a caller's name or
    /// address, as written on the ticket), made and stored durably when the
    /// subject has none (or had one that was destroyed).
    func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey)
    /// The identifier of the subject named `name`, or `nil` when the store holds no key for it.
    func subject(named name: String) throws(DeskError) -> SubjectID?
    /// The key of the subject `id`, or `nil` when it was destroyed (or never made here).
    func key(for id: SubjectID) throws(DeskError) -> SymmetricKey?
    /// Destroys the key of subject `id` and what links it to a name; `false`
    /// when the store held none. Once it returns, the key is in no file of the store.
    func destroyKey(of id: SubjectID) throws(DeskError) -> Bool
}

/// Personal data sealed per data subject, so that it can be forgotten while
/// every hash over the ledger still verifies.
///
/// The personal fields of an event (``DeskEvent/mapPersonalText(attributes:_:)``:
/// the caller, titles, comments, notes, the free text of reasons, and the
/// attributes an embedder or an import mapping marks personal) and the
/// identifier of a caller who acts are written as sealed text: AES-256-GCM-SIV
/// (RFC 8452) under the key of the ticket's caller, with one fixed nonce, which
/// that scheme allows: equal text of one subject seals to equal bytes (a
/// caller stays one pseudonym for the problem-area analysis), and nothing but
/// that equality is learnt without the key.
/// The log's chain, Merkle tree and map are over those bytes, so they keep
/// verifying after a key is destroyed; from then on ``reveal(_:)-(String)`` shows the
/// field as `[erased <subject>]`.
///
/// Projections never need the plaintext: they count sealed text as it is.
/// Reveal only what is shown or exported.
public final class PersonalData: Sendable {
    /// The key store.
    public let keys: any SubjectKeyStore
    /// How long a key read from the store is used before the store is asked
    /// again whether it still holds it: a subject forgotten by another process
    /// is seen as forgotten here within that time.
    public let revalidateAfter: Duration
    /// Keys learnt, by subject, and the subjects of the names sealed.
    private let cache = Mutex<Cache>(Cache())

    private struct Cache {
        /// A key as the store last gave it (nil: destroyed), and when.
        /// The key's bytes: `SymmetricKey` is not `Sendable`.
        var keys: [SubjectID: (key: [UInt8]?, checked: ContinuousClock.Instant)] = [:]
        /// The subject of each name sealed, and the name sealed (memoised:
        /// a caller's name is sealed on each of its events).
        var names: [String: (id: SubjectID, sealed: String?)] = [:]
    }

    /// Personal data kept with the keys of `keys`, each key checked against the
    /// store again `revalidateAfter` after it was read.
    public init(keys: any SubjectKeyStore, revalidateAfter: Duration = .seconds(1)) {
        self.keys = keys
        self.revalidateAfter = revalidateAfter
    }

    /// What sealed text begins with: U+0001, then the scheme's version (`1`);
    /// base64 of the subject, the ciphertext and the 16-byte tag follows.
    static let prefix = "\u{1}1"

    /// Whether `text` is sealed (written by ``seal(_:actor:caller:personalAttributes:)``).
    public static func isSealed(_ text: String) -> Bool { text.utf8.starts(with: prefix.utf8) }

    /// The subject whose key sealed `text`, or `nil` when it is not sealed text.
    public static func subject(of text: String) -> SubjectID? {
        parse(text)?.id
    }

    /// Sealed `text`'s subject and the rest of its bytes (ciphertext, then the
    /// 16-byte tag), or `nil` when it is not sealed text that decodes.
    private static func parse(_ text: String) -> (id: SubjectID, sealed: Data)? {
        guard isSealed(text), let bytes = Data(base64Encoded: String(text.dropFirst(prefix.count))), bytes.count >= SubjectID.size + 16,
            let id = SubjectID(bytes: bytes.prefix(SubjectID.size))
        else { return nil }
        return (id, bytes.dropFirst(SubjectID.size))
    }

    // MARK: Sealing

    /// `event`'s personal fields and a caller's identifier as `actor`, sealed
    /// under the key of the ticket's caller `caller` (the name as registered, or
    /// the sealed caller the ticket holds). Text already sealed and empty text
    /// stay as they are; a ticket without a caller has no data subject, and its
    /// event is returned unchanged.
    ///
    /// - Throws: ``DeskError/Code/invalidArgument`` when the caller was forgotten
    ///   and the event has personal text; ``DeskError/Code/storage`` when the key
    ///   store fails.
    public func seal(
        _ event: DeskEvent, actor: ActorRef, caller: String, personalAttributes: Set<String> = []
    ) throws(DeskError) -> (event: DeskEvent, actor: ActorRef) {
        var actor = actor
        if actor.kind == .caller, !actor.id.isEmpty, !Self.isSealed(actor.id) { actor.id = try sealName(actor.id) }
        guard !caller.isEmpty else { return (event, actor) }
        var subject: (id: SubjectID, key: SymmetricKey)?
        let sealed = try event.mapPersonalText(attributes: personalAttributes) { (text) throws(DeskError) -> String in
            guard !text.isEmpty, !Self.isSealed(text) else { return text }
            if text == caller { return try sealName(text) }
            if subject == nil { subject = try self.subject(ofCaller: caller) }
            return try Self.seal(text, id: subject!.id, key: subject!.key)
        }
        return (sealed, actor)
    }

    /// The sealed form of a subject's own name (its pseudonym in the ledger).
    private func sealName(_ name: String) throws(DeskError) -> String {
        let subject = try self.subject(ofCaller: name)
        if let known = cache.withLock({ $0.names[name] }), known.id == subject.id, let sealed = known.sealed { return sealed }
        let sealed = try Self.seal(name, id: subject.id, key: subject.key)
        cache.withLock { $0.names[name] = (subject.id, sealed) }
        return sealed
    }

    /// The subject of a ticket's caller: the one whose key sealed it, or the one named so.
    private func subject(ofCaller caller: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) {
        if let id = Self.subject(of: caller) {
            guard let key = try key(for: id) else {
                throw DeskError(.invalidArgument, "the personal data of caller \(id) was erased: no new personal text can be recorded for that caller")
            }
            return (id, key)
        }
        // A name sealed before, whose key the store still holds.
        if let known = cache.withLock({ $0.names[caller]?.id }), let key = try key(for: known) { return (known, key) }
        let made = try keys.subjectKey(for: caller)
        let bytes = made.key.withUnsafeBytes { Array($0) }
        cache.withLock {
            $0.names[caller] = (made.id, nil)
            $0.keys[made.id] = (bytes, .now)
        }
        return made
    }

    /// The one nonce of every seal (RFC 8452 allows a repeated nonce: only the
    /// equality of equal plaintexts shows, which is what a pseudonym needs).
    private static let nonce = try! AES.GCM._SIV.Nonce(data: [UInt8](repeating: 0, count: 12))  // 12 bytes: always valid

    /// `text` sealed with subject `id`'s `key`: AES-256-GCM-SIV with the fixed
    /// nonce and the subject as associated data.
    ///
    /// - Throws: ``DeskError/Code/storage`` when the key store gave a key
    ///   AES-GCM-SIV does not take (not 128 or 256 bits).
    static func seal(_ text: String, id: SubjectID, key: SymmetricKey) throws(DeskError) -> String {
        let box: AES.GCM._SIV.SealedBox
        do {
            box = try AES.GCM._SIV.seal(Array(text.utf8), using: key, nonce: nonce, authenticating: id.bytes)
        } catch {
            throw DeskError(.storage, "the key of subject \(id) cannot seal (\(key.bitCount) bits; AES-GCM-SIV takes 128 or 256)", underlying: "\(error)")
        }
        var sealed = id.bytes
        sealed.append(contentsOf: box.ciphertext)
        sealed.append(contentsOf: box.tag)
        return prefix + Data(sealed).base64EncodedString()
    }

    // MARK: Revealing

    /// The plaintext of sealed `text`; `[erased <subject>]` when its subject's key
    /// was destroyed; `[sealed <subject>]` when the key store cannot be read;
    /// `[unreadable <subject>]` when it does not open with the key (damaged);
    /// other text as it is.
    public func reveal(_ text: String) -> String {
        guard Self.isSealed(text) else { return text }
        guard let (id, sealed) = Self.parse(text) else { return "[unreadable]" }
        let key: SymmetricKey?
        do {
            key = try self.key(for: id)
        } catch {
            return "[sealed \(id.short)]"
        }
        guard let key else { return "[erased \(id.short)]" }
        do {
            let box = try AES.GCM._SIV.SealedBox(nonce: Self.nonce, ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            return String(decoding: try AES.GCM._SIV.open(box, using: key, authenticating: id.bytes), as: UTF8.self)
        } catch {
            return "[unreadable \(id.short)]"
        }
    }

    /// `event` with its sealed fields revealed.
    public func reveal(_ event: DeskEvent) -> DeskEvent {
        event.mapPersonalText(attributes: nil) { reveal($0) }
    }

    /// `actor` with a sealed identifier revealed.
    public func reveal(_ actor: ActorRef) -> ActorRef {
        ActorRef(actor.kind, reveal(actor.id))
    }

    /// `ticket` with its sealed fields (caller, title, resolution note,
    /// satisfaction comment, attributes) revealed.
    public func reveal(_ ticket: Ticket) -> Ticket {
        var ticket = ticket
        ticket.caller = reveal(ticket.caller)
        ticket.title = reveal(ticket.title)
        if var resolution = ticket.resolution {
            resolution.note = reveal(resolution.note)
            ticket.resolution = resolution
        }
        ticket.satisfactionComment = ticket.satisfactionComment.map { reveal($0) }
        ticket.attributes = ticket.attributes.mapValues { reveal($0) }
        return ticket
    }

    /// The key of `id`: from the cache while it was read less than
    /// ``revalidateAfter`` ago, else from the store.
    private func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? {
        let now = ContinuousClock.now
        if let known = cache.withLock({ $0.keys[id] }), now - known.checked < revalidateAfter { return known.key.map { SymmetricKey(data: $0) } }
        let key = try keys.key(for: id)
        let bytes = key?.withUnsafeBytes { Array($0) }
        cache.withLock { $0.keys[id] = (bytes, now) }
        return key
    }

    // MARK: Forgetting

    /// Destroys the key of the subject named `name` (see
    /// ``SubjectKeyStore/destroyKey(of:)``) and returns its identifier, or `nil`
    /// when the store holds no key for that name. Record it in the ledger with
    /// ``TicketEvent/subjectForgotten(subject:)``.
    public func forget(named name: String) throws(DeskError) -> SubjectID? {
        guard let id = try keys.subject(named: name) else { return nil }
        return try forget(id) ? id : nil
    }

    /// Destroys the key of subject `id`; `false` when the store held none.
    public func forget(_ id: SubjectID) throws(DeskError) -> Bool {
        let destroyed = try keys.destroyKey(of: id)
        cache.withLock { cache in
            cache.keys[id] = (nil, .now)
            for name in cache.names.filter({ $0.value.id == id }).map(\.key) { cache.names[name] = nil }
        }
        return destroyed
    }
}

/// The key store of a ledger whose store cannot be had (missing, say): every
/// look-up fails, so sealed fields read as `[sealed …]`, not as erased.
public struct UnavailableKeyStore: SubjectKeyStore {
    /// Why there are no keys, for the errors.
    public let reason: String

    /// A store whose every call fails with `reason`.
    public init(reason: String) { self.reason = reason }

    public func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) { throw DeskError(.notFound, reason) }
    public func subject(named name: String) throws(DeskError) -> SubjectID? { throw DeskError(.notFound, reason) }
    public func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? { throw DeskError(.notFound, reason) }
    public func destroyKey(of id: SubjectID) throws(DeskError) -> Bool { throw DeskError(.notFound, reason) }
}

extension SubjectID {
    /// The first 8 hexadecimal digits, as erased fields show them.
    public var short: String { String(description.prefix(8)) }
}

extension DeskEvent {
    /// The event with each personal field replaced by `transform`'s result:
    /// the caller and the title of a registration, the free text of reasons,
    /// notes and comments, and the values of `attributes` (every attribute
    /// when `nil`). Codes, categories, services, groups, agents and problem
    /// records are not personal and stay as they are.
    public func mapPersonalText<E: Error>(attributes personal: Set<String>?, _ transform: (String) throws(E) -> String) throws(E) -> DeskEvent {
        var body = self.body
        switch body {
        case .registered(var e):
            e.caller = try transform(e.caller)
            e.title = try transform(e.title)
            body = .registered(e)
        case .classified(var e):
            e.reason = try transform(e.reason)
            body = .classified(e)
        case .reprioritised(var e):
            e.reason = try transform(e.reason)
            body = .reprioritised(e)
        case .assigned(var e):
            e.reason = try transform(e.reason)
            body = .assigned(e)
        case .escalated(var e):
            e.reason = try transform(e.reason)
            body = .escalated(e)
        case .suspended(let reason, let note): body = .suspended(reason: reason, note: try transform(note))
        case .commentAdded(let visibility, let text): body = .commentAdded(visibility: visibility, text: try transform(text))
        case .resolved(var e):
            e.note = try transform(e.note)
            body = .resolved(e)
        case .reopened(let reason): body = .reopened(reason: try transform(reason))
        case .cancelled(let reason): body = .cancelled(reason: try transform(reason))
        case .satisfactionRecorded(let score, let comment): body = .satisfactionRecorded(score: score, comment: try transform(comment))
        case .workStarted, .resumed, .workLogged, .contactLogged, .slaAttached, .closed, .merged, .linked, .unlinked, .problemOpened,
            .rootCauseFound, .knownErrorRecorded, .problemClosed, .activityRecorded, .deskDescribed, .personalDataProtected,
            .subjectForgotten:
            break
        }
        var attributes = self.attributes
        for (name, value) in self.attributes where personal?.contains(name) ?? true {
            let mapped = try transform(value)
            if mapped != value { attributes[name] = mapped }  // untouched attributes stay shared, not copied
        }
        return DeskEvent(body, attributes: attributes)
    }
}

extension PersonalData {
    /// The sealing scheme ``TicketEvent/personalDataProtected(scheme:)`` records.
    public static let scheme = "aes-256-gcm-siv/1"

    /// Whether `log` seals personal data: its `$desk` stream records
    /// ``TicketEvent/personalDataProtected(scheme:)``. Writers of such a ledger
    /// must seal (a ``Desk`` without ``PersonalData`` refuses to write to it).
    public static func isRequired(by log: any EventStore) throws(DeskError) -> Bool {
        let events: [RecordedEvent]
        do {
            events = try log.readStream(Desk.metadataStream)
        } catch {
            throw DeskError(.storage, "cannot read the ledger's metadata", underlying: "\(error)")
        }
        return events.contains { $0.type == TicketEvent.personalDataProtected(scheme: "").typeName }
    }

    /// Records in `log` that its personal data is sealed from now on (for a new
    /// ledger, before anything else is written), unless it already says so.
    public static func markProtected(_ log: any EventStore, by actor: ActorRef, at time: Timestamp = .now()) throws(DeskError) {
        guard try !isRequired(by: log) else { return }
        do {
            _ = try log.append(
                [TicketEventCodec.proposed(DeskEvent(.personalDataProtected(scheme: scheme)), occurredAt: time, actor: actor)],
                to: Desk.metadataStream)
        } catch {
            throw DeskError(.storage, "cannot record that the ledger seals personal data", underlying: "\(error)")
        }
    }

    /// Records that subject `id`'s key was destroyed (an event of the `$desk`
    /// stream that carries no personal data).
    public static func recordForgotten(_ id: SubjectID, in log: any EventStore, by actor: ActorRef, at time: Timestamp = .now()) throws(DeskError) {
        do {
            _ = try log.append(
                [TicketEventCodec.proposed(DeskEvent(.subjectForgotten(subject: id.description)), occurredAt: time, actor: actor)],
                to: Desk.metadataStream)
        } catch {
            throw DeskError(.storage, "the key of subject \(id) is destroyed, but the ledger could not record it", underlying: "\(error)")
        }
    }
}

extension PersonalData {
    /// Copies every event of `source`, a ledger that keeps personal data in
    /// clear, into `destination`, a new and empty one, with its personal
    /// fields sealed (under each ticket's caller, as registered) and the mark
    /// that the destination seals. Ids, streams, versions, event times, actors'
    /// kinds and the order stay; the record bytes, so the chain, are new, and
    /// the recorded times are the copy's. Events of types this library does not
    /// know are copied as they are. Then retire the source: it still holds the
    /// plaintext.
    ///
    /// - Returns: the events copied.
    /// - Throws: ``DeskError/Code/invalidArgument`` when `source` seals already
    ///   or `destination` is not empty; ``DeskError/Code/storage``.
    @discardableResult
    public func sealedCopy(
        of source: any EventStore, into destination: any EventStore, personalAttributes: Set<String> = [], batchSize: Int = 4_096,
        progress: ((_ position: UInt64) -> Void)? = nil
    ) throws(DeskError) -> UInt64 {
        guard try !Self.isRequired(by: source) else {
            throw DeskError(.invalidArgument, "\(source.location) seals personal data already: copy it as it is")
        }
        do {
            guard try destination.lastPosition() == 0 else {
                throw DeskError(.invalidArgument, "\(destination.location) is not empty: a sealed copy goes into a new ledger")
            }
            try Self.markProtected(destination, by: ActorRef(.system, "desk copy --seal"))
            let end = try source.lastPosition()
            var callers: [String: String] = [:]
            var position: UInt64 = 1
            var copied: UInt64 = 0
            while position <= end {
                var appends: [StreamAppend] = []
                for recorded in try source.read(from: position, limit: batchSize) {
                    position = recorded.position + 1
                    var proposed = recorded.event
                    if let event = try TicketEventCodec.decode(recorded) {
                        if case .registered(let registration) = event.body, callers[recorded.streamID] == nil {
                            callers[recorded.streamID] = registration.caller
                        }
                        let (sealed, actor) = try seal(event, actor: proposed.actor, caller: callers[recorded.streamID] ?? "", personalAttributes: personalAttributes)
                        proposed = TicketEventCodec.proposed(
                            sealed, id: proposed.id, occurredAt: proposed.occurredAt, actor: actor, correlationID: proposed.correlationID,
                            causationID: proposed.causationID)
                    }
                    if appends.last?.stream == recorded.streamID {
                        appends[appends.count - 1].events.append(proposed)
                    } else {
                        appends.append(StreamAppend(stream: recorded.streamID, events: [proposed]))
                    }
                    copied += 1
                }
                _ = try destination.append(appends)
                progress?(position - 1)
            }
            return copied
        } catch let error as DeskError {
            throw error
        } catch {
            throw DeskError(.storage, "cannot copy \(source.location) into \(destination.location)", underlying: "\(error)")
        }
    }
}
