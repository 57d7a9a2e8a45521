import EmbeddedDesk
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TicketLedger
import TicketLedgerTesting

/// Runs `body` against the service over a fresh ledger on a loopback port, with
/// the token `op-token` for agent op-1 and `sl-token` for sl-1.
func withService(_ body: @escaping @Sendable (EventLog, Caller) async throws -> Void) async throws {
    let registry = PrometheusCollectorRegistry()
    var configuration = EventLogConfiguration(durability: .buffered)
    configuration.metricsFactory = metricsFactory(for: registry)
    try await withTemporaryLedger(configuration: configuration) { log in
        // The callers' personal data sealed, as the service's main does for a new ledger.
        try PersonalData.markProtected(log, by: ActorRef(.system, "test"))
        let personalData = PersonalData(keys: try SubjectKeyDirectory(path: log.location + ".keys", create: true))
        let app = makeApplication(
            log: log, configuration: ServiceConfiguration(port: 0, tokens: ["op-token": "op-1", "sl-token": "sl-1"], registry: registry, personalData: personalData))
        try await app.test(.live) { client in try await body(log, Caller(client: client)) }
    }
}

/// Sends requests as one agent (or none) and reads JSON answers.
struct Caller {
    let client: any TestClientProtocol
    var token: String? = "op-token"

    func send(_ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, key: String? = nil) async throws -> (status: HTTPResponse.Status, body: [String: Any], text: String) {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:], text)
        }
    }

    func post(_ uri: String, _ json: String, key: String? = nil) async throws -> (status: HTTPResponse.Status, body: [String: Any], text: String) {
        try await send(.post, uri, json, key: key)
    }

    func get(_ uri: String) async throws -> [String: Any] {
        let (status, body, text) = try await send(.get, uri)
        #expect(status == .ok, "\(uri): \(text)")
        return body
    }

    func error(_ answer: (status: HTTPResponse.Status, body: [String: Any], text: String)) -> String? {
        (answer.body["error"] as? [String: Any])?["message"] as? String
    }
}

let newTicket = #"{"caller":"ann","title":"Till 4 frozen","category":"Hardware","service":"Point of Sale","configurationItem":"POS-4","impact":"medium","urgency":"high"}"#

@Suite("EmbeddedDesk over HTTP")
struct EmbeddedDeskTests {
    @Test("a ticket's life over HTTP on a loopback port; the queues and KPIs it serves follow; the actor is the token's agent")
    func ticketLife() async throws {
        try await withService { log, op in
            var sl = op
            sl.token = "sl-token"
            let (created, ticket, _) = try await op.post("/tickets", newTicket)
            #expect(created == .created)
            let number = try #require(ticket["number"] as? String)
            #expect(number == "INC-000001")
            #expect(ticket["priority"] as? Int == 2)
            #expect(ticket["status"] as? String == "new")
            #expect(ticket["line"] as? String == "first")
            // Sealed in the ledger, revealed in the answers (the ticket, and the live projection's list).
            #expect(ticket["title"] as? String == "Till 4 frozen")
            #expect(files(under: [log.location], containing: Array("Till 4 frozen".utf8)).isEmpty, "the title is sealed in the ledger")
            let listed = try await op.get("/tickets")["tickets"] as? [[String: Any]]
            #expect(listed?.first?["title"] as? String == "Till 4 frozen")
            for (caller, action, body) in [
                (op, "assign", #"{"group":"Service Desk","agent":"op-1"}"#),
                (op, "start", "{}"),
                (op, "escalate", #"{"line":"second","group":"2nd Line","reason":"unknown error"}"#),
                (sl, "suspend", #"{"suspension":"awaiting-caller","reason":"waiting for the caller"}"#),
                (sl, "resume", "{}"),
            ] {
                let answer = try await caller.post("/tickets/\(number)/\(action)", body)
                #expect(answer.status == .ok, "\(action): \(answer.text)")
            }
            // The actor of each event is the agent of the token that sent it.
            let actors = try log.readStream(number).map(\.event.actor.id)
            #expect(actors == ["op-1", "embedded-desk", "op-1", "op-1", "op-1", "sl-1", "sl-1"])
            // Each POST answers once the projection has it: no polling.
            let queues = try await op.get("/queues")
            #expect((queues["byLine"] as? [[String: Any]])?.first?["key"] as? String == "2nd line")
            #expect(queues["open"] as? Int == 1)
            // A refused command is a 409 with the desk's reason.
            let refused = try await sl.post("/tickets/\(number)/close", "{}")
            #expect(refused.status == .conflict)
            #expect(op.error(refused)?.isEmpty == false)
            for (action, body) in [("resolve", #"{"code":"replaced","resolution":"fix"}"#), ("rate", #"{"score":4}"#), ("close", "{}")] {
                let answer = try await sl.post("/tickets/\(number)/\(action)", body)
                #expect(answer.status == .ok, "\(action): \(answer.text)")
            }
            let closed = try await op.get("/tickets/\(number)")
            #expect(closed["status"] as? String == "closed")
            #expect((closed["events"] as? [String])?.count == 10)  // registered, SLA, assigned, started, escalated, suspended, resumed, resolved, rated, closed
            let kpis = try await op.get("/kpis")
            let total = try #require(kpis["total"] as? [String: Any])
            #expect(total["closed"] as? Int == 1)
            #expect(total["registered"] as? Int == 1)
            #expect(total["escalationRate"] as? Double == 1)
            #expect(total["satisfactionMean"] as? Double == 4)
            #expect(try await op.get("/queues")["open"] as? Int == 0)
        }
    }

    @Test("the comment action records an internal note by the token's agent")
    func comment() async throws {
        try await withService { log, op in
            let number = try #require(try await op.post("/tickets", newTicket).body["number"] as? String)
            let answer = try await op.post("/tickets/\(number)/comment", #"{"comment":"caller rang again"}"#)
            #expect(answer.status == .ok, "\(answer.text)")
            #expect((answer.body["events"] as? [String])?.last == "CommentAdded")
            let last = try #require(try log.readStream(number).last)
            #expect(last.type == "CommentAdded" && last.event.actor.id == "op-1")
        }
    }

    @Test("a retried POST with the same Idempotency-Key registers or changes nothing and answers as the first did")
    func idempotentRetries() async throws {
        try await withService { log, op in
            let (created, first, _) = try await op.post("/tickets", newTicket, key: "client-42")
            #expect(created == .created)
            let events = try log.lastPosition()
            let (again, second, _) = try await op.post("/tickets", newTicket, key: "client-42")
            #expect(again == .created)
            #expect(second["number"] as? String == first["number"] as? String)
            #expect(try log.lastPosition() == events)
            #expect(try await op.post("/tickets", newTicket, key: "client-43").body["number"] as? String == "INC-000002")
            let assign = #"{"group":"Service Desk","agent":"op-1"}"#
            #expect(try await op.post("/tickets/INC-000001/assign", assign, key: "assign-1").status == .ok)
            let assigned = try log.lastPosition()
            #expect(try await op.post("/tickets/INC-000001/assign", assign, key: "assign-1").status == .ok)
            #expect(try log.lastPosition() == assigned)
        }
    }

    @Test("the API needs a known bearer token; health, metrics and the OpenAPI document do not")
    func authentication() async throws {
        try await withService { log, op in
            for token in [nil, "nobody"] as [String?] {
                var stranger = op
                stranger.token = token
                for (method, uri) in [(HTTPRequest.Method.get, "/tickets"), (.get, "/queues"), (.get, "/kpis"), (.get, "/tickets/INC-000001")] {
                    let answer = try await stranger.send(method, uri)
                    #expect(answer.status == .unauthorized, "\(uri) with \(token ?? "no token")")
                }
                #expect(try await stranger.post("/tickets", newTicket).status == .unauthorized)
                #expect(try log.lastPosition() == 1, "nothing written but the mark that the ledger seals personal data")
                #expect(try await stranger.send(.get, "/health").status == .ok)
                #expect(try await stranger.send(.get, "/metrics").status == .ok)
                #expect(try await stranger.send(.get, "/openapi.json").status == .ok)
            }
        }
    }

    @Test("request bodies are read strictly: 400 names the field, 404 what does not exist, 409 what the state refuses, 422 what an action needs")
    func validation() async throws {
        try await withService { log, op in
            func expect(_ answer: (status: HTTPResponse.Status, body: [String: Any], text: String), _ status: HTTPResponse.Status, _ message: String) {
                #expect(answer.status == status, "\(answer.text)")
                #expect(op.error(answer) == message)
            }
            expect(try await op.post("/tickets", #"{"caller":"ann","title":"t","category":"c","service":"s","channel":"fax"}"#), .badRequest,
                "field 'channel': 'fax' is not one of phone, email, web, chat, walk-in, monitoring, other")
            expect(try await op.post("/tickets", #"{"caller":"ann","title":"t","category":"c","service":"s","impact":"huge"}"#), .badRequest,
                "field 'impact': 'huge' is not one of high, medium, low")
            expect(try await op.post("/tickets", #"{"caller":"ann","title":"t","category":"c","service":"s","by":"someone"}"#), .badRequest,
                "field 'by' is not one of caller, category, channel, configurationItem, impact, service, title, urgency")
            expect(try await op.post("/tickets", #"{"caller":"ann","title":"t","category":"c"}"#), .badRequest, "field 'service' is missing")
            expect(try await op.post("/tickets", #"{"caller":7,"title":"t","category":"c","service":"s"}"#), .badRequest, "field 'caller' must be a string")
            expect(try await op.post("/tickets", #"{"caller":"  ","title":"t","category":"c","service":"s"}"#), .badRequest, "field 'caller' must not be empty")
            expect(try await op.post("/tickets", "[1,2]"), .badRequest, "the body is not a JSON object")
            expect(try await op.post("/tickets", #"{"caller":"ann","title":"t","category":"c","service":"s","urgency":null}"#), .badRequest,
                "field 'urgency' must not be null (leave it out instead)")
            expect(try await op.send(.post, "/tickets", newTicket, key: ""), .badRequest, "header 'Idempotency-Key' must have 1 to 200 characters")
            #expect(try log.lastPosition() == 1, "nothing written but the mark that the ledger seals personal data")

            let number = try #require(try await op.post("/tickets", newTicket).body["number"] as? String)
            let written = try log.lastPosition()
            expect(try await op.post("/tickets/\(number)/assign", #"{"agent":"op-1"}"#), .unprocessableContent, "field 'group' is needed to assign")
            expect(try await op.post("/tickets/\(number)/escalate", #"{"group":"2nd Line"}"#), .unprocessableContent, "field 'line' is needed to escalate")
            expect(try await op.post("/tickets/\(number)/escalate", #"{"group":"2nd Line","line":"third"}"#), .badRequest,
                "field 'line': 'third' is not one of first, second, specialist")
            expect(try await op.post("/tickets/\(number)/rate", #"{"score":9}"#), .badRequest, "field 'score' must be from 1 to 5, not 9")
            // A field the action does not use is checked too.
            expect(try await op.post("/tickets/\(number)/comment", #"{"comment":"hi","suspension":"later"}"#), .badRequest,
                "field 'suspension': 'later' is not one of awaiting-caller, awaiting-vendor, awaiting-change, awaiting-problem, other")
            expect(try await op.post("/tickets/\(number)/rate", #"{"score":"4"}"#), .badRequest, "field 'score' must be an integer")
            expect(try await op.post("/tickets/\(number)/fly", "{}"), .notFound, "no action 'fly'")
            #expect(try await op.post("/tickets/INC-999999/start", "{}").status == .notFound)
            #expect(try await op.send(.get, "/tickets/INC-999999").status == .notFound)
            #expect(try await op.post("/tickets/\(number)/resume", "{}").status == .conflict)
            #expect(try log.lastPosition() == written)
            expect(try await op.send(.get, "/tickets?limit=0"), .badRequest, "query parameter 'limit' must be a whole number from 1 to 500, not '0'")
            expect(try await op.send(.get, "/tickets?color=red"), .badRequest, "query parameter 'color' is not one of after, agent, group, limit, line, status")
            expect(try await op.send(.get, "/tickets?status=open"), .badRequest,
                "field 'status': 'open' is not one of new, assigned, in-progress, suspended, resolved, closed, cancelled, merged")
        }
    }

    @Test("the open tickets are listed by number, filtered, a page at a time")
    func listing() async throws {
        try await withService { _, op in
            for _ in 0..<5 { _ = try await op.post("/tickets", newTicket) }
            _ = try await op.post("/tickets/INC-000002/assign", #"{"group":"Network","line":"second"}"#)
            _ = try await op.post("/tickets/INC-000004/assign", #"{"group":"Network","line":"second"}"#)
            func numbers(_ uri: String) async throws -> ([String], String?) {
                let page = try await op.get(uri)
                return (((page["tickets"] as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }, page["next"] as? String)
            }
            #expect(try await numbers("/tickets?line=second") == (["INC-000002", "INC-000004"], nil))
            #expect(try await numbers("/tickets?status=new") == (["INC-000001", "INC-000003", "INC-000005"], nil))
            #expect(try await numbers("/tickets?limit=2") == (["INC-000001", "INC-000002"], "INC-000002"))
            #expect(try await numbers("/tickets?limit=2&after=INC-000002") == (["INC-000003", "INC-000004"], "INC-000004"))
            #expect(try await numbers("/tickets?limit=2&after=INC-000004") == (["INC-000005"], nil))
        }
    }

    @Test("/metrics is Prometheus text with the ledger's, the desk's and the projection's metrics; /health names the positions")
    func metricsAndHealth() async throws {
        try await withService { log, op in
            _ = try await op.post("/tickets", newTicket)
            let last = try log.lastPosition()
            let health = try await op.get("/health")
            #expect(health["status"] as? String == "ok")
            #expect(health["projectionPosition"] as? Int == Int(last))
            #expect(health["ledgerPosition"] as? Int == Int(last))
            let (status, _, text) = try await op.send(.get, "/metrics")
            #expect(status == .ok)
            for line in [
                // The mark that the ledger seals personal data, then the ticket's two events.
                #"ticketledger_append_duration_seconds_count{backend="lmdb"} 3"#,
                #"ticketledger_commit_events_sum{backend="lmdb"} 3.0"#,
                #"ticketledger_append_failures_total{backend="lmdb"} 0"#,
                "ticketledger_map_size_bytes 67108864.0",
                "ticketledger_projection_position \(last).0",
                // The events it followed live: the mark was in the ledger before it started.
                "ticketledger_projection_events_total \(last - 1)",
                "ticketledger_desk_conflict_retries_total 0",
            ] {
                #expect(text.contains(line), "\(line) in:\n\(text)")
            }
        }
    }

    @Test("a ticket of an imported log that states no priority is answered without one, as the document allows")
    func ticketWithoutPriority() async throws {
        try await withService { log, op in
            // An imported log's ticket: its first event is not a registration, so it states no priority.
            let event = TicketEventCodec.proposed(DeskEvent(.workStarted(agent: "op-1")), occurredAt: .now(), actor: ActorRef(.agent, "op-1"))
            _ = try await log.append([event], to: "Case 1")
            let (status, ticket, text) = try await op.send(.get, "/tickets/Case%201")
            #expect(status == .ok, "\(text)")
            #expect(ticket["number"] as? String == "Case 1")
            #expect(ticket["priority"] == nil)
        }
    }

    @Test("the OpenAPI document is served, and every route it names answers (not the router's 404)")
    func openAPI() async throws {
        try await withService { _, op in
            let (status, document, _) = try await op.send(.get, "/openapi.json")
            #expect(status == .ok)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(Set(paths.keys) == ["/health", "/metrics", "/openapi.json", "/tickets", "/tickets/{number}", "/tickets/{number}/{action}", "/queues", "/kpis"])
            _ = try await op.post("/tickets", newTicket)
            for (path, operations) in paths {
                let uri = path.replacingOccurrences(of: "{number}", with: "INC-000001").replacingOccurrences(of: "{action}", with: "start")
                for method in operations.keys {
                    let answer = try await op.send(method == "post" ? .post : .get, uri, method == "post" ? (path == "/tickets" ? newTicket : "{}") : nil)
                    #expect(answer.status.code < 300, "\(method) \(uri): \(answer.text)")
                }
            }
        }
    }
}
