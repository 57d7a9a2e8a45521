import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Projections
import TicketLedger

extension QueueReport: @retroactive ResponseEncodable {}
extension MetricsReport: @retroactive ResponseEncodable {}

/// The body of `POST /tickets`.
struct NewTicket: Decodable {
    var caller: String
    var title: String
    var category: String
    var service: String
    var configurationItem: String?
    var channel: String?
    var impact: String?
    var urgency: String?
    var by: String
}

/// The body of `POST /tickets/{number}/{action}`.
struct Action: Decodable {
    var by: String
    var group: String?
    var line: String?
    var agent: String?
    var reason: String?
    var code: String?
    var score: UInt8?
}

/// What the API returns for a ticket.
struct TicketView: ResponseEncodable {
    var number: String
    var status: String
    var priority: Priority
    var line: String
    var group: String?
    var agent: String?
    var events: [String]

    init(_ ticket: Ticket, history: [HistoryEntry]) {
        number = ticket.number
        status = ticket.status.description
        priority = ticket.priority
        line = ticket.line.description
        group = ticket.group
        agent = ticket.agent
        events = history.map(\.type)
    }
}

/// Builds the HTTP application: the desk's commands as POST routes, and the live
/// projection's queues and metrics as GET routes. The projection runs as one of
/// the application's services, so it starts and stops with the server.
public func makeApplication(log: EventLog, port: Int) -> some ApplicationProtocol {
    let desk = Desk(log: log)
    let live = LiveProjection(log: log)
    let router = Router()

    // A client that retries a POST (after a timeout, say) sends the same
    // Idempotency-Key header: the retry changes nothing and answers as the first did.
    let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    router.post("tickets") { request, context -> EditedResponse<TicketView> in
        let body = try await request.decode(as: NewTicket.self, context: context)
        let key = request.headers[idempotencyKey]
        let channel: Channel = switch body.channel {
        case "email": .email
        case "web": .webPortal
        case "chat": .chat
        default: .phone
        }
        func level(_ text: String?) -> UInt8 { text == "high" ? 1 : text == "low" ? 3 : 2 }
        let ticket = try await run {
            try await desk.register(
                Registration(
                    channel: channel, caller: body.caller, title: body.title, category: body.category, service: body.service,
                    configurationItems: body.configurationItem.map { [$0] } ?? [], impact: Impact(rawValue: level(body.impact))!,
                    urgency: Urgency(rawValue: level(body.urgency))!),
                by: ActorRef(.agent, body.by), idempotencyKey: key)
        }
        _ = try await run {
            try await desk.execute(.attachSLA(.standard), on: ticket.number, by: ActorRef(.system, "embedded-desk"), idempotencyKey: key.map { $0 + "/sla" })
        }
        return EditedResponse(status: .created, response: try view(ticket.number))
    }

    router.post("tickets/:number/:action") { request, context -> TicketView in
        let number = try context.parameters.require("number")
        let action = try context.parameters.require("action")
        let body = try await request.decode(as: Action.self, context: context)
        let line: SupportLine = switch body.line {
        case "second": .secondLine
        case "specialist": .specialist
        default: .firstLine
        }
        let command: TicketCommand
        switch action {
        case "assign": command = .assign(group: body.group ?? "Service Desk", line: line, department: nil, agent: body.agent, reason: body.reason ?? "")
        case "escalate": command = .escalate(toLine: line, group: body.group ?? "", department: nil, reason: body.reason ?? "")
        case "start": command = .startWork(agent: body.agent ?? body.by)
        case "suspend": command = .suspend(.awaitingCaller, note: body.reason ?? "")
        case "resume": command = .resume
        case "resolve": command = .resolve(code: body.code ?? "fixed", kind: .fix, note: body.reason ?? "")
        case "close": command = .close(code: body.code ?? "")
        case "rate": command = .recordSatisfaction(score: body.score ?? 0, comment: body.reason ?? "")
        default: throw HTTPError(.notFound, message: "no action '\(action)'")
        }
        _ = try await run { try await desk.execute(command, on: number, by: ActorRef(.agent, body.by), idempotencyKey: request.headers[idempotencyKey]) }
        return try view(number)
    }

    router.get("tickets/:number") { _, context -> TicketView in
        try view(try context.parameters.require("number"))
    }
    router.get("queues") { _, _ in live.current.queues() }
    router.get("metrics") { _, _ in live.current.metrics() }

    /// Runs a desk call, turning its refusals into HTTP errors with its message.
    @Sendable func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DeskError {
            switch error.code {
            case .notFound: throw HTTPError(.notFound, message: error.message)
            case .invalidTransition, .invalidArgument: throw HTTPError(.conflict, message: error.message)
            default: throw HTTPError(.internalServerError, message: error.description)
            }
        }
    }

    @Sendable func view(_ number: String) throws -> TicketView {
        guard let ticket = try desk.ticket(number) else { throw HTTPError(.notFound, message: "no ticket \(number)") }
        return TicketView(ticket, history: try desk.history(number))
    }

    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), services: [live])
}
