import EventLog
import Foundation
import Hummingbird
import TicketLedger

// The HTTP API's request and response bodies, its vocabulary, and strict
// reading of request bodies. `openapi.json` describes the same.

/// A value of the API's vocabulary: one lowercase token, the same in requests,
/// in query parameters and in responses.
protocol Token: RawRepresentable<String>, CaseIterable {}

extension Token {
    /// `text` as a token of this kind, or a 400 naming the field and the allowed values.
    static func parse(_ text: String, field: String) throws -> Self {
        guard let value = Self(rawValue: text) else {
            throw HTTPError(.badRequest, message: "field '\(field)': '\(text)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// As ``parse(_:field:)``, nil when absent.
    static func parse(_ text: String?, field: String) throws -> Self? {
        try text.map { try parse($0, field: field) }
    }
}

enum ChannelToken: String, Token {
    case phone, email, web, chat, walkIn = "walk-in", monitoring, other

    var channel: Channel {
        switch self {
        case .phone: .phone
        case .email: .email
        case .web: .webPortal
        case .chat: .chat
        case .walkIn: .walkIn
        case .monitoring: .monitoring
        case .other: .other
        }
    }
}

enum LevelToken: String, Token {
    case high, medium, low

    var impact: Impact { Impact(rawValue: level)! }
    var urgency: Urgency { Urgency(rawValue: level)! }
    private var level: UInt8 { self == .high ? 1 : self == .medium ? 2 : 3 }
}

enum LineToken: String, Token {
    case first, second, specialist

    init(_ line: SupportLine) {
        self = switch line {
        case .firstLine: .first
        case .secondLine: .second
        case .specialist: .specialist
        }
    }

    var line: SupportLine {
        switch self {
        case .first: .firstLine
        case .second: .secondLine
        case .specialist: .specialist
        }
    }
}

enum StatusToken: String, Token {
    case new, assigned, inProgress = "in-progress", suspended, resolved, closed, cancelled, merged

    init(_ status: TicketStatus) {
        self = switch status {
        case .new: .new
        case .assigned: .assigned
        case .inProgress: .inProgress
        case .suspended: .suspended
        case .resolved: .resolved
        case .closed: .closed
        case .cancelled: .cancelled
        case .merged: .merged
        }
    }
}

enum SuspensionToken: String, Token {
    case awaitingCaller = "awaiting-caller", awaitingVendor = "awaiting-vendor", awaitingChange = "awaiting-change",
        awaitingProblem = "awaiting-problem", other

    var reason: SuspensionReason {
        switch self {
        case .awaitingCaller: .awaitingCaller
        case .awaitingVendor: .awaitingVendor
        case .awaitingChange: .awaitingChange
        case .awaitingProblem: .awaitingProblem
        case .other: .other
        }
    }
}

enum ResolutionToken: String, Token {
    case fix, workaround

    var kind: ResolutionKind { self == .fix ? .fix : .workaround }
}

/// A request body: a JSON object with these fields and no others.
protocol RequestBody: Decodable {
    static var fields: Set<String> { get }
}

/// The body of `POST /tickets`.
struct NewTicket: RequestBody {
    var caller: String
    var title: String
    var category: String
    var service: String
    var configurationItem: String?
    var channel: String?
    var impact: String?
    var urgency: String?

    static let fields: Set<String> = ["caller", "title", "category", "service", "configurationItem", "channel", "impact", "urgency"]
}

/// The body of `POST /tickets/{number}/{action}`: which fields an action needs is in `openapi.json`.
struct ActionBody: RequestBody {
    var group: String?
    var line: String?
    var agent: String?
    var reason: String?
    var suspension: String?
    var code: String?
    var resolution: String?
    var score: Int?
    var comment: String?

    static let fields: Set<String> = ["group", "line", "agent", "reason", "suspension", "code", "resolution", "score", "comment"]
}

extension Request {
    /// The body as `T`, strictly: a JSON object of at most 64 KiB with only `T`'s
    /// fields, each of its type. Anything else is a 400 naming the field.
    func decodeStrictly<T: RequestBody>(as type: T.Type) async throws -> T {
        let buffer = try await body.collect(upTo: 64 * 1024)
        let data = Data(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data), let fields = object as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the body is not a JSON object")
        }
        if let unknown = fields.keys.sorted().first(where: { !T.fields.contains($0) }) {
            throw HTTPError(.badRequest, message: "field '\(unknown)' is not one of \(T.fields.sorted().joined(separator: ", "))")
        }
        if let null = fields.keys.sorted().first(where: { fields[$0] is NSNull }) {
            throw HTTPError(.badRequest, message: "field '\(null)' must not be null (leave it out instead)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: error.explained)
        }
    }
}

extension DecodingError {
    /// The field and what is wrong with it, in words.
    var explained: String {
        func field(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch self {
        case .keyNotFound(let key, let context): return "field '\(field(context.codingPath + [key]))' is missing"
        case .valueNotFound(let type, let context): return "field '\(field(context.codingPath))' must be \(Self.article(type)), not null"
        case .typeMismatch(let type, let context): return "field '\(field(context.codingPath))' must be \(Self.article(type))"
        case .dataCorrupted(let context): return "field '\(field(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "the body cannot be read"
        }
    }

    private static func article(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        default: "a \(type)"
        }
    }
}

/// A required text field: present, not blank, at most 200 characters; else a 400.
func requiredText(_ value: String?, field: String) throws -> String {
    guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw HTTPError(.badRequest, message: "field '\(field)' must not be empty")
    }
    guard value.count <= 200 else { throw HTTPError(.badRequest, message: "field '\(field)' is longer than 200 characters") }
    return value
}

/// An action's field that the action needs: present and not blank, else a 422 saying which action needs it.
func needed(_ value: String?, field: String, by action: String) throws -> String {
    guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw HTTPError(.unprocessableContent, message: "field '\(field)' is needed to \(action)")
    }
    return value
}

/// What the API returns for a ticket.
struct TicketView: ResponseEncodable {
    var number: String
    var status: String
    /// 1 (highest) to 5; absent when the ticket states none (an imported log may not).
    var priority: Int?
    var line: String
    var group: String?
    var agent: String?
    var title: String
    var events: [String]?

    init(_ ticket: Ticket, history: [HistoryEntry]?) {
        number = ticket.number
        status = StatusToken(ticket.status).rawValue
        priority = ticket.priority == 0 ? nil : Int(ticket.priority)
        line = LineToken(ticket.line).rawValue
        group = ticket.group
        agent = ticket.agent
        title = ticket.title
        events = history?.map(\.type)
    }
}

/// A page of `GET /tickets`: the open tickets that match, by number, and the
/// number to pass as `after` for the next page (absent on the last).
struct TicketPage: ResponseEncodable {
    var tickets: [TicketView]
    var next: String?
}

/// `GET /health`.
struct Health: ResponseEncodable {
    var status: String
    var ledgerPosition: UInt64
    var projectionPosition: UInt64
}
