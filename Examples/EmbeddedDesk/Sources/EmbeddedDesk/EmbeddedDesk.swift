import CoreMetrics
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Projections
import Prometheus
import TicketLedger

extension QueueReport: @retroactive ResponseEncodable {}
extension MetricsReport: @retroactive ResponseEncodable {}

/// The request context: the agent a bearer token names, once authenticated.
public typealias DeskContext = BasicAuthRequestContext<String>

/// What the service is given: where it listens, who may call it, where its metrics go.
public struct ServiceConfiguration: Sendable {
    /// The loopback port (0: any free one).
    public var port: Int
    /// Bearer tokens and the agent each one acts as. A request to the API
    /// without one of them is a 401; the actor of every command is the token's agent.
    public var tokens: [String: String]
    /// The registry `/metrics` prints; the ledger, the desk and the live
    /// projection report to it when the ledger was opened with ``metricsFactory(for:)``.
    public var registry: PrometheusCollectorRegistry
    /// Seals the callers' personal data in the ledger and reveals it in the
    /// answers (TicketLedger's `PersonalData`); nil keeps it in clear.
    public var personalData: PersonalData?

    public init(
        port: Int, tokens: [String: String], registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), personalData: PersonalData? = nil
    ) {
        self.port = port
        self.tokens = tokens
        self.registry = registry
        self.personalData = personalData
    }
}

/// A metrics factory that reports to `registry`, with histogram buckets that
/// suit a ledger (appends take from tens of microseconds to seconds; a group
/// commit takes from one append to hundreds).
public func metricsFactory(for registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.durationHistogramBuckets[LedgerMetricLabel.appendDuration] = [
        .microseconds(50), .microseconds(200), .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2),
    ]
    let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024]
    factory.valueHistogramBuckets[LedgerMetricLabel.commitAppends] = sizes
    factory.valueHistogramBuckets[LedgerMetricLabel.commitEvents] = sizes
    return factory
}

/// Builds the HTTP application over `log` (see `openapi.json`, served at
/// `/openapi.json`): the desk's commands as POST routes and the live projection's
/// tickets, queues and KPIs as GET routes, for callers with a bearer token;
/// `/health`, `/metrics` (Prometheus text) and `/openapi.json` for anyone. The
/// projection runs as one of the application's services, so it starts and stops
/// with the server; a POST answers once the projection has its write, so the
/// caller's next GET shows it.
public func makeApplication(log: any EventStore, configuration: ServiceConfiguration) -> some ApplicationProtocol {
    let factory = metricsFactory(for: configuration.registry)
    var deskConfiguration = Desk.Configuration()
    deskConfiguration.metricsFactory = factory
    let desk = Desk(log: log, configuration: deskConfiguration, personalData: configuration.personalData)
    let personalData = configuration.personalData
    let live = LiveProjection(log: log, metricsFactory: factory)
    let tokens = configuration.tokens
    let registry = configuration.registry
    let router = Router(context: DeskContext.self)

    router.get("health") { _, _ -> Health in
        do {
            return Health(status: "ok", ledgerPosition: try log.lastPosition(), projectionPosition: live.read { $0.position })
        } catch {
            throw HTTPError(.internalServerError, message: "the ledger cannot be read: \(error)")
        }
    }
    router.get("metrics") { _, _ -> Response in
        var text: [UInt8] = []
        registry.emit(into: &text)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }
    router.get("openapi.json") { _, _ -> Response in
        guard let openAPIDocument else { throw HTTPError(.internalServerError, message: "openapi.json is missing from the service's bundle") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument)))
    }

    let api = router.group()
        .add(middleware: ClosureAuthenticator { request, _ in request.headers.bearer.flatMap { tokens[$0.token] } })
    // A client that retries a POST (after a timeout, say) sends the same
    // Idempotency-Key header: the retry changes nothing and answers as the first did.
    @Sendable func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...200).contains(key.count) else { throw HTTPError(.badRequest, message: "header 'Idempotency-Key' must have 1 to 200 characters") }
        return key
    }

    api.post("tickets") { request, context -> EditedResponse<TicketView> in
        let agent = try context.requireIdentity()
        let body = try await request.decodeStrictly(as: NewTicket.self)
        let registration = Registration(
            channel: try ChannelToken.parse(body.channel, field: "channel")?.channel ?? .phone,
            caller: try requiredText(body.caller, field: "caller"), title: try requiredText(body.title, field: "title"),
            category: try requiredText(body.category, field: "category"), service: try requiredText(body.service, field: "service"),
            configurationItems: try body.configurationItem.map { [try requiredText($0, field: "configurationItem")] } ?? [],
            impact: try LevelToken.parse(body.impact, field: "impact")?.impact ?? .medium,
            urgency: try LevelToken.parse(body.urgency, field: "urgency")?.urgency ?? .medium)
        let key = try idempotencyKey(request)
        let ticket = try await run { try await desk.register(registration, by: ActorRef(.agent, agent), idempotencyKey: key) }
        _ = try await run {
            try await desk.execute(.attachSLA(.standard), on: ticket.number, by: ActorRef(.system, "embedded-desk"), idempotencyKey: key.map { $0 + "/sla" })
        }
        try await live.waitUntil(position: try log.lastPosition())  // read-your-writes for /tickets, /queues, /kpis
        return EditedResponse(status: .created, response: try view(ticket.number))
    }

    api.post("tickets/:number/:action") { request, context -> TicketView in
        let agent = try context.requireIdentity()
        let number = try ticketNumber(context)
        let action = try context.parameters.require("action")
        guard ["assign", "escalate", "start", "suspend", "resume", "resolve", "close", "rate", "comment"].contains(action) else {
            throw HTTPError(.notFound, message: "no action '\(action)'")
        }
        let body = try await request.decodeStrictly(as: ActionBody.self)
        // Every field is checked, also those this action does not use.
        let line = try LineToken.parse(body.line, field: "line")
        let suspension = try SuspensionToken.parse(body.suspension, field: "suspension")
        let resolution = try ResolutionToken.parse(body.resolution, field: "resolution")
        if let score = body.score, !(1...5).contains(score) {
            throw HTTPError(.badRequest, message: "field 'score' must be from 1 to 5, not \(score)")
        }
        let command: TicketCommand
        switch action {
        case "assign":
            command = .assign(group: try needed(body.group, field: "group", by: action), line: line?.line ?? .firstLine, department: nil, agent: body.agent, reason: body.reason ?? "")
        case "escalate":
            guard let line else { throw HTTPError(.unprocessableContent, message: "field 'line' is needed to escalate") }
            command = .escalate(toLine: line.line, group: try needed(body.group, field: "group", by: action), department: nil, reason: body.reason ?? "")
        case "start": command = .startWork(agent: body.agent ?? agent)
        case "suspend": command = .suspend(suspension?.reason ?? .awaitingCaller, note: body.reason ?? "")
        case "resume": command = .resume
        case "resolve":
            command = .resolve(code: body.code ?? "fixed", kind: resolution?.kind ?? .fix, note: body.reason ?? "")
        case "close": command = .close(code: body.code ?? "")
        case "comment": command = .comment(.internalNote, text: try needed(body.comment, field: "comment", by: action))
        default:  // rate
            guard let score = body.score else { throw HTTPError(.unprocessableContent, message: "field 'score' is needed to rate") }
            command = .recordSatisfaction(score: UInt8(score), comment: body.comment ?? "")
        }
        _ = try await run { try await desk.execute(command, on: number, by: ActorRef(.agent, agent), idempotencyKey: try idempotencyKey(request)) }
        try await live.waitUntil(position: try log.lastPosition())
        return try view(number)
    }

    api.get("tickets/:number") { _, context -> TicketView in
        _ = try context.requireIdentity()
        return try view(try ticketNumber(context))
    }
    api.get("tickets") { request, context -> TicketPage in
        _ = try context.requireIdentity()
        let query = request.uri.queryParameters
        let known: Set<String> = ["status", "line", "group", "agent", "after", "limit"]
        if let unknown = query.map({ String($0.key) }).sorted().first(where: { !known.contains($0) }) {
            throw HTTPError(.badRequest, message: "query parameter '\(unknown)' is not one of \(known.sorted().joined(separator: ", "))")
        }
        let status = try StatusToken.parse(query["status"].map(String.init), field: "status")
        let line = try LineToken.parse(query["line"].map(String.init), field: "line")
        let group = query["group"].map(String.init)
        let agent = query["agent"].map(String.init)
        let after = query["after"].map(String.init)
        var limit = 50
        if let text = query["limit"] {
            guard let value = Int(text), (1...500).contains(value) else {
                throw HTTPError(.badRequest, message: "query parameter 'limit' must be a whole number from 1 to 500, not '\(text)'")
            }
            limit = value
        }
        let matching = live.read { $0.openTickets }.filter { ticket in
            (status.map { StatusToken(ticket.status) == $0 } ?? true) && (line.map { LineToken(ticket.line) == $0 } ?? true)
                && (group.map { ticket.group == $0 } ?? true) && (agent.map { ticket.agent == $0 } ?? true)
                && (after.map { ticket.number > $0 } ?? true)
        }
        let page = matching.prefix(limit)
        // The live projection keeps sealed text; the answer shows it revealed.
        return TicketPage(
            tickets: page.map { TicketView(personalData?.reveal($0) ?? $0, history: nil) }, next: matching.count > limit ? page.last?.number : nil)
    }
    api.get("queues") { _, context in
        _ = try context.requireIdentity()
        return live.read { $0.queues() }.revealed(by: personalData)
    }
    api.get("kpis") { _, context in
        _ = try context.requireIdentity()
        return live.read { $0.metrics() }
    }

    /// Runs a desk call, turning its refusals into HTTP errors with its message:
    /// 404 for what does not exist, 409 for what the ticket's state or another
    /// writer refuses, 422 for a value the desk cannot take.
    @Sendable func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DeskError {
            switch error.code {
            case .notFound: throw HTTPError(.notFound, message: error.message)
            case .invalidTransition, .conflict: throw HTTPError(.conflict, message: error.message)
            case .invalidArgument: throw HTTPError(.unprocessableContent, message: error.message)
            default: throw HTTPError(.internalServerError, message: error.description)
            }
        }
    }

    /// The `{number}` of the path, percent-decoded (an imported log's numbers may hold spaces: `Case%201249`).
    @Sendable func ticketNumber(_ context: DeskContext) throws -> String {
        let raw = try context.parameters.require("number")
        guard let number = raw.removingPercentEncoding else { throw HTTPError(.badRequest, message: "the ticket number '\(raw)' is not percent-encoded correctly") }
        return number
    }

    @Sendable func view(_ number: String) throws -> TicketView {
        guard let ticket = try desk.ticket(number) else { throw HTTPError(.notFound, message: "no ticket \(number)") }
        return TicketView(ticket, history: try desk.history(number))
    }

    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: configuration.port)), services: [live])
}

/// The OpenAPI document of the routes above, from the bundle (nil if it is missing, and `/openapi.json` says so).
let openAPIDocument: [UInt8]? = Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }.map(Array.init)
