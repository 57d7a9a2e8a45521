public import EventLog
public import Logging
public import CoreMetrics
import Synchronization

/// One event of a ticket's history, as `desk history` shows it.
public struct HistoryEntry: Sendable, Hashable {
    /// The global position in the log.
    public var position: UInt64
    /// The version within the ticket's stream.
    public var version: UInt64
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    public var actor: ActorRef
    /// The stored event type (also for types this library does not know).
    public var type: String
    public var schemaVersion: UInt16
    /// The decoded event, or `nil` for a type this library does not know.
    public var event: DeskEvent?
}

/// The service desk an embedding Swift service talks to: commands in, tickets out.
///
/// Every command loads the ticket's stream, decides with
/// ``TicketCommand/decide(_:state:number:context:)`` and appends the resulting
/// events expecting the version it loaded. When another writer got there first,
/// it reloads and decides again, up to ``Configuration/maximumAttempts`` times.
/// A refused command writes nothing.
///
/// ```swift
/// let desk = Desk(log: try EventLog(path: "ledger"))
/// let ticket = try await desk.register(
///     Registration(channel: .phone, caller: "ann", title: "Till 4 frozen", category: "POS", service: "Retail"),
///     by: ActorRef(.agent, "op-1"))
/// try await desk.execute(.assign(group: "Service Desk", line: .firstLine, department: nil, agent: "op-1", reason: ""),
///                        on: ticket.number, by: ActorRef(.agent, "op-1"))
/// ```
public final class Desk: Sendable {
    /// How the desk decides.
    public struct Configuration: Sendable {
        /// The impact × urgency matrix; its version is recorded on events.
        public var matrix: PriorityMatrix = .itil
        /// How often a command is tried when other writers keep changing the ticket.
        public var maximumAttempts = 8
        /// Digits of ticket numbers (`INC-000123` has 6); numbers grow past it.
        public var numberWidth = 6
        /// Where the desk's metrics go (its conflict retries, `EventLog`'s
        /// Metrics article): the factory bootstrapped with `MetricsSystem` when nil.
        public var metricsFactory: (any MetricsFactory)?
        /// Custom attributes that hold personal data: sealed with the ticket's
        /// caller's key like the personal fields (see ``PersonalData``).
        public var personalAttributes: Set<String> = []

        public init() {}
    }

    /// The log the desk writes to.
    public let log: any EventStore
    public let configuration: Configuration
    /// Seals the personal fields of what the desk writes and reveals what it
    /// returns; `nil` writes them in clear (refused on a ledger that seals).
    public let personalData: PersonalData?
    /// Whether the ledger records that it seals personal data, learned on the first write.
    private let sealingRequired = Mutex<Bool?>(nil)
    let logger: Logger
    /// The last number handed out per prefix, learned from the log on first use.
    private let lastNumbers = Mutex<[String: UInt64]>([:])
    private let conflicts = Atomic<Int>(0)
    private let conflictCounter: Counter
    /// Test hook: runs between deciding and appending.
    let afterDecide = Mutex<(@Sendable () async -> Void)?>(nil)

    /// A desk over `log`, sealing personal data with `personalData` (see
    /// ``PersonalData``; required when the ledger records that it seals).
    public init(
        log: any EventStore, configuration: Configuration = .init(), personalData: PersonalData? = nil,
        logger: Logger = Logger(label: "TicketLedger.Desk")
    ) {
        self.log = log
        self.configuration = configuration
        self.personalData = personalData
        self.logger = logger
        conflictCounter = Counter(label: LedgerMetricLabel.conflictRetries, factory: configuration.metricsFactory ?? MetricsSystem.factory)
    }

    /// Counts an append that lost a race and is decided again.
    private func countConflict() {
        conflicts.add(1, ordering: .relaxed)
        conflictCounter.increment()
    }

    /// How many appends lost a race with another writer and were decided again.
    public var conflictRetries: Int { conflicts.load(ordering: .relaxed) }

    // MARK: - Commands

    /// Registers a ticket under the next free number of its kind (`INC-`, `REQ-`).
    ///
    /// - Parameters:
    ///   - registration: what the caller reported, and how.
    ///   - actor: who registers it.
    ///   - time: when; now by default.
    ///   - attributes: custom attributes of the embedding service, kept on the event.
    ///   - idempotencyKey: when given, a retry with the same key (after a
    ///     timeout, say) registers nothing and returns the ticket the first call
    ///     registered, as that call left it. Use one key per intended registration.
    public func register(
        _ registration: Registration, by actor: ActorRef, at time: Timestamp = .now(), attributes: [String: String] = [:],
        idempotencyKey: String? = nil
    ) async throws(DeskError) -> Ticket {
        let prefix = registration.kind.numberPrefix
        if let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: nil) { return earlier }
        var number = try nextNumber(prefix)
        for _ in 0..<configuration.maximumAttempts {
            let events = try TicketCommand.decide(.register(registration), state: nil, number: number, context: DecisionContext(matrix: configuration.matrix, now: time))
            let written = try sealed(events, caller: registration.caller, actor: actor, attributes: attributes)
            switch await appending(written, to: number, expecting: .noStream, at: time, idempotencyKey: idempotencyKey) {
            case .success(let result):
                if result.wasAlreadyStored, let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: nil) { return earlier }
                lastNumbers.withLock { $0[prefix] = max($0[prefix] ?? 0, numberValue(number, prefix: prefix) ?? 0) }
                // Folded from the command's own events: plaintext already.
                return fold(nil, number: number, events: events, at: time, attributes: attributes)
            case .failure(let error) where error.code == .wrongExpectedVersion || error.code == .duplicateEventID:
                // Another call with the same key may have got there first.
                if let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: nil) { return earlier }
                guard error.code == .wrongExpectedVersion else { throw DeskError(.storage, "cannot register \(number)", underlying: error.description) }
                countConflict()
                let taken = numberValue(number, prefix: prefix) ?? 0
                lastNumbers.withLock { $0[prefix] = max($0[prefix] ?? 0, taken) }
                number = try nextNumber(prefix)
            case .failure(let error):
                throw DeskError(.storage, "cannot register \(number)", underlying: error.description)
            }
        }
        throw DeskError(.conflict, "cannot register a \(registration.kind): \(configuration.maximumAttempts) numbers were taken by other writers")
    }

    /// Carries out `command` on the ticket `number` and returns the ticket after it.
    ///
    /// - Throws: ``DeskError`` — ``DeskError/Code/invalidTransition`` or
    ///   ``DeskError/Code/invalidArgument`` when refused (nothing written),
    ///   ``DeskError/Code/notFound``, ``DeskError/Code/conflict``, ``DeskError/Code/storage``;
    ///   ``DeskError/Code/invalidArgument`` also when `idempotencyKey` was used on another ticket.
    /// - Parameters:
    ///   - command: what to do.
    ///   - number: the ticket.
    ///   - actor: who does it.
    ///   - time: when; now by default.
    ///   - attributes: custom attributes of the embedding service, kept on the events.
    ///   - idempotencyKey: when given, a retry with the same key writes nothing
    ///     and returns the ticket as the first call left it.
    @discardableResult
    public func execute(
        _ command: TicketCommand, on number: String, by actor: ActorRef, at time: Timestamp = .now(), attributes: [String: String] = [:],
        idempotencyKey: String? = nil
    ) async throws(DeskError) -> Ticket {
        if case .register = command {
            throw DeskError(.invalidArgument, "use register(_:by:at:attributes:) to register a ticket")
        }
        for _ in 0..<configuration.maximumAttempts {
            if let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: number) { return earlier }
            let state = try storedTicket(number)
            let events = try TicketCommand.decide(command, state: state, number: number, context: DecisionContext(matrix: configuration.matrix, now: time))
            if let hook = afterDecide.withLock({ $0 }) { await hook() }
            let written = try sealed(events, caller: state?.caller ?? "", actor: actor, attributes: attributes)
            let outcome = await appending(written, to: number, expecting: .exactly(state?.version ?? 0), at: time, idempotencyKey: idempotencyKey)
            switch outcome {
            case .success(let result):
                if result.wasAlreadyStored, let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: number) { return earlier }
                return revealed(fold(state, number: number, events: events, at: time, attributes: attributes))
            case .failure(let error) where error.code == .wrongExpectedVersion:
                // Decided again at the top of the loop (where a retry with the same key is recognised).
                countConflict()
                logger.debug("ticket changed meanwhile; deciding again", metadata: ["ticket": "\(number)", "command": "\(command.name)"])
            case .failure(let error):
                if error.code == .duplicateEventID, let idempotencyKey, let earlier = try earlierResult(of: idempotencyKey, on: number) { return earlier }
                throw DeskError(.storage, "cannot \(command.name) \(number)", underlying: error.description)
            }
        }
        throw DeskError(.conflict, "cannot \(command.name) \(number): other writers changed it \(configuration.maximumAttempts) times in a row")
    }

    /// Opens a problem record under the next `PRB-` number.
    public func openProblem(
        title: String, category: String, service: String, configurationItems: [String], by actor: ActorRef, at time: Timestamp = .now()
    ) async throws(DeskError) -> Problem {
        for _ in 0..<configuration.maximumAttempts {
            let number = try nextNumber("PRB")
            let events = try ProblemCommand.decide(.open(title: title, category: category, service: service, configurationItems: configurationItems), state: nil, number: number)
            let written = try sealed(events, caller: "", actor: actor, attributes: [:])
            do {
                _ = try await append(written, to: number, expecting: .noStream, at: time)
                lastNumbers.withLock { $0["PRB"] = max($0["PRB"] ?? 0, numberValue(number, prefix: "PRB") ?? 0) }
                return events.reduce(nil as Problem?) { Problem.evolve($0, streamID: number, event: DeskEvent($1), occurredAt: time) }!
            } catch let error where error.code == .wrongExpectedVersion {
                countConflict()
                lastNumbers.withLock { $0["PRB"] = max($0["PRB"] ?? 0, numberValue(number, prefix: "PRB") ?? 0) }
            } catch {
                throw DeskError(.storage, "cannot open \(number)", underlying: error.description)
            }
        }
        throw DeskError(.conflict, "cannot open a problem: numbers kept being taken")
    }

    /// Carries out `command` on the problem `number`.
    @discardableResult
    public func execute(_ command: ProblemCommand, onProblem number: String, by actor: ActorRef, at time: Timestamp = .now()) async throws(DeskError) -> Problem {
        for _ in 0..<configuration.maximumAttempts {
            let state = try problem(number)
            let events = try ProblemCommand.decide(command, state: state, number: number)
            let written = try sealed(events, caller: "", actor: actor, attributes: [:])
            do {
                _ = try await append(written, to: number, expecting: .exactly(state?.version ?? 0), at: time)
                return events.reduce(state) { Problem.evolve($0, streamID: number, event: DeskEvent($1), occurredAt: time) }!
            } catch let error where error.code == .wrongExpectedVersion {
                countConflict()
            } catch {
                throw DeskError(.storage, "cannot change problem \(number)", underlying: error.description)
            }
        }
        throw DeskError(.conflict, "cannot change problem \(number): other writers kept changing it")
    }

    /// The stream that holds the ledger's metadata.
    public static let metadataStream = "$desk"

    /// Records the desk's name and model (centralised, local, virtual) as ledger
    /// metadata; a later description replaces an earlier one, both stay in the log.
    public func describe(name: String, model: DeskModel, by actor: ActorRef, at time: Timestamp = .now()) async throws(DeskError) {
        do {
            _ = try await log.append(
                [TicketEventCodec.proposed(
                    DeskEvent(.deskDescribed(name: name, model: model, libraryVersion: TicketLedgerVersion.current)), occurredAt: time, actor: actor)],
                to: Self.metadataStream)
        } catch {
            throw DeskError(.storage, "cannot describe the desk", underlying: "\(error)")
        }
    }

    /// The desk's latest description, if any, and the TicketLedger version that
    /// wrote the first (the one that created the ledger, with `desk init`);
    /// `createdBy` is empty when that description predates the version field.
    public func deskDescription() throws(DeskError) -> (name: String, model: DeskModel, createdBy: String)? {
        var latest: (name: String, model: DeskModel, createdBy: String)?
        for entry in try history(Self.metadataStream) {
            if case .deskDescribed(let name, let model, let version)? = entry.event?.body {
                latest = (name, model, latest?.createdBy ?? version)
            }
        }
        return latest
    }

    // MARK: - Reads

    /// The ticket as its events make it now (its personal fields revealed), or `nil` when there is none.
    public func ticket(_ number: String) throws(DeskError) -> Ticket? {
        try storedTicket(number).map(revealed)
    }

    /// The ticket with its personal fields as stored (sealed, on a ledger that seals).
    private func storedTicket(_ number: String) throws(DeskError) -> Ticket? {
        try fold(number) { Ticket.evolve($0, streamID: number, event: $1, occurredAt: $2) } withVersion: { $0.version = $1 }
    }

    private func revealed(_ ticket: Ticket) -> Ticket {
        personalData?.reveal(ticket) ?? ticket
    }

    /// The problem as its events make it now, or `nil` when there is none.
    public func problem(_ number: String) throws(DeskError) -> Problem? {
        try fold(number) { Problem.evolve($0, streamID: number, event: $1, occurredAt: $2) } withVersion: { $0.version = $1 }
    }

    /// Folds one read of the stream. The version is the last event's, unknown
    /// types included, so that an append expecting it fails if anything landed
    /// after this read.
    private func fold<State>(
        _ number: String, _ evolve: (State?, DeskEvent, Timestamp) -> State, withVersion setVersion: (inout State, UInt64) -> Void
    ) throws(DeskError) -> State? {
        let entries = try storedHistory(number)
        var state: State?
        for entry in entries {
            if let event = entry.event { state = evolve(state, event, entry.occurredAt) }
        }
        guard var result = state, let last = entries.last else { return nil }
        setVersion(&result, last.version)
        return result
    }

    /// Every event of a ticket or problem, oldest first, its personal fields
    /// revealed; events of unknown types are kept with `event == nil`.
    public func history(_ number: String) throws(DeskError) -> [HistoryEntry] {
        guard let personalData else { return try storedHistory(number) }
        return try storedHistory(number).map { entry in
            var entry = entry
            entry.actor = personalData.reveal(entry.actor)
            entry.event = entry.event.map { personalData.reveal($0) }
            return entry
        }
    }

    /// Every event of a ticket or problem as stored.
    private func storedHistory(_ number: String) throws(DeskError) -> [HistoryEntry] {
        let recorded: [RecordedEvent]
        do {
            recorded = try log.readStream(number)
        } catch {
            throw DeskError(.storage, "cannot read \(number)", underlying: "\(error)")
        }
        var entries: [HistoryEntry] = []
        entries.reserveCapacity(recorded.count)
        for event in recorded {
            entries.append(HistoryEntry(
                position: event.position, version: event.streamVersion, occurredAt: event.event.occurredAt,
                recordedAt: event.recordedAt, actor: event.event.actor, type: event.type,
                schemaVersion: event.event.schemaVersion, event: try TicketEventCodec.decode(event)))
        }
        return entries
    }

    // MARK: - Internals

    private func streamVersion(_ number: String) throws(DeskError) -> UInt64 {
        do {
            return try log.streamVersion(number)
        } catch {
            throw DeskError(.storage, "cannot read \(number)", underlying: "\(error)")
        }
    }

    /// `events` with `attributes`, and `actor`, as they are written: their
    /// personal fields sealed with the key of `caller` (the ticket's, as
    /// registered or stored; empty for problems) when the desk seals.
    ///
    /// - Throws: ``DeskError/Code/invalidArgument`` when the ledger seals and
    ///   the desk cannot, or the caller was forgotten; ``DeskError/Code/storage``.
    private func sealed(
        _ events: [TicketEvent], caller: String, actor: ActorRef, attributes: [String: String]
    ) throws(DeskError) -> [(event: DeskEvent, actor: ActorRef)] {
        guard let personalData else {
            try checkSealing()
            return events.map { (DeskEvent($0, attributes: attributes), actor) }
        }
        var result: [(event: DeskEvent, actor: ActorRef)] = []
        for event in events {
            result.append(try personalData.seal(
                DeskEvent(event, attributes: attributes), actor: actor, caller: caller, personalAttributes: configuration.personalAttributes))
        }
        return result
    }

    /// Appends `events` (as ``sealed(_:caller:actor:attributes:)`` made them) to `number`.
    private func append(
        _ events: [(event: DeskEvent, actor: ActorRef)], to number: String, expecting expected: ExpectedVersion, at time: Timestamp,
        idempotencyKey: String? = nil
    ) async throws(EventLogError) -> AppendResult {
        let correlation = EventID.make(unixMilliseconds: time.unixMilliseconds)
        let proposed = events.enumerated().map { index, sealed in
            TicketEventCodec.proposed(
                sealed.event, id: idempotencyKey.map { EventID.derived(fromIdempotencyKey: $0, index: index) } ?? EventID.make(),
                occurredAt: time, actor: sealed.actor, correlationID: correlation)
        }
        do {
            return try await log.append(proposed, to: number, expecting: expected)
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(.storage, "\(error)")
        }
    }

    /// The ticket as the command carried out under `key` left it, or nil when
    /// no command used the key. `number`: the ticket the retry names (nil for a
    /// registration); a key used on another ticket is refused.
    private func earlierResult(of key: String, on number: String?) throws(DeskError) -> Ticket? {
        let first: RecordedEvent?
        do {
            first = try log.event(id: EventID.derived(fromIdempotencyKey: key, index: 0))
        } catch {
            throw DeskError(.storage, "cannot look up the idempotency key '\(key)'", underlying: "\(error)")
        }
        guard let first else { return nil }
        if let number, first.streamID != number {
            throw DeskError(.invalidArgument, "the idempotency key '\(key)' was used for \(first.streamID), not \(number)")
        }
        // The command's events are consecutive in its stream, with ids 0, 1, ...
        var lastVersion = first.streamVersion
        do {
            while let next = try log.event(id: EventID.derived(fromIdempotencyKey: key, index: Int(lastVersion - first.streamVersion + 1))),
                next.streamID == first.streamID {
                lastVersion = next.streamVersion
            }
        } catch {
            throw DeskError(.storage, "cannot look up the idempotency key '\(key)'", underlying: "\(error)")
        }
        var state: Ticket?
        for entry in try storedHistory(first.streamID) where entry.version <= lastVersion {
            if let event = entry.event { state = Ticket.evolve(state, streamID: first.streamID, event: event, occurredAt: entry.occurredAt) }
        }
        state?.version = lastVersion
        return state.map(revealed)
    }

    /// Refuses to write personal data in clear to a ledger that records that it seals it.
    private func checkSealing() throws(DeskError) {
        guard personalData == nil else { return }
        let required: Bool
        if let known = sealingRequired.withLock({ $0 }) {
            required = known
        } else {
            required = try PersonalData.isRequired(by: log)
            sealingRequired.withLock { $0 = required }
        }
        if required {
            throw DeskError(.invalidArgument, "the ledger seals personal data (PersonalDataProtected in $desk): give the Desk a PersonalData with its key store")
        }
    }

    /// ``append(_:to:expecting:at:idempotencyKey:)``'s outcome as a value.
    private func appending(
        _ events: [(event: DeskEvent, actor: ActorRef)], to number: String, expecting expected: ExpectedVersion, at time: Timestamp,
        idempotencyKey: String?
    ) async -> Result<AppendResult, EventLogError> {
        do {
            return .success(try await append(events, to: number, expecting: expected, at: time, idempotencyKey: idempotencyKey))
        } catch {
            return .failure(error)
        }
    }

    private func fold(_ state: Ticket?, number: String, events: [TicketEvent], at time: Timestamp, attributes: [String: String]) -> Ticket {
        events.reduce(state) { Ticket.evolve($0, streamID: number, event: DeskEvent($1, attributes: attributes), occurredAt: time) }!
    }

    func format(_ prefix: String, _ value: UInt64) -> String {
        let digits = String(value)
        return prefix + "-" + String(repeating: "0", count: max(0, configuration.numberWidth - digits.count)) + digits
    }

    private func numberValue(_ number: String, prefix: String) -> UInt64? {
        guard number.hasPrefix(prefix + "-") else { return nil }
        return UInt64(number.dropFirst(prefix.count + 1))
    }

    /// The next number after the highest one taken: learned once from the log by
    /// searching (numbers are handed out densely from 1), then counted locally;
    /// a race with another process is settled by the `.noStream` append.
    private func nextNumber(_ prefix: String) throws(DeskError) -> String {
        if let last = lastNumbers.withLock({ $0[prefix] }) { return format(prefix, last + 1) }
        func exists(_ value: UInt64) throws(DeskError) -> Bool { try streamVersion(format(prefix, value)) > 0 }
        var high: UInt64 = 1
        while try exists(high) { high *= 2 }
        var low: UInt64 = high / 2  // exists(low) or low == 0
        while low + 1 < high {
            let middle = (low + high) / 2
            if try exists(middle) { low = middle } else { high = middle }
        }
        let last = lastNumbers.withLock { numbers -> UInt64 in
            numbers[prefix] = max(numbers[prefix] ?? 0, low)
            return numbers[prefix]!
        }
        return format(prefix, last + 1)
    }
}
