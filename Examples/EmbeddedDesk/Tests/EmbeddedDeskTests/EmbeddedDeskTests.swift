import EmbeddedDesk
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketLedgerTesting

@Suite("EmbeddedDesk over HTTP")
struct EmbeddedDeskTests {
    @Test("a ticket's life over HTTP on a loopback port; the queues and metrics it serves follow")
    func ticketLife() async throws {
        try await withTemporaryLedger { log in
            let app = makeApplication(log: log, port: 0)
            try await app.test(.live) { client in
                func post(_ uri: String, _ json: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { response in
                        (response.status, (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]) ?? [:])
                    }
                }
                func get(_ uri: String) async throws -> [String: Any] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok)
                        return try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as! [String: Any]
                    }
                }
                let (created, ticket) = try await post("/tickets", #"{"caller":"ann","title":"Till 4 frozen","category":"Hardware","service":"Point of Sale","configurationItem":"POS-4","impact":"medium","urgency":"high","by":"op-1"}"#)
                #expect(created == .created)
                let number = try #require(ticket["number"] as? String)
                #expect(number == "INC-000001")
                #expect(ticket["priority"] as? Int == 2)
                for (action, body) in [
                    ("assign", #"{"by":"op-1","group":"Service Desk","agent":"op-1"}"#),
                    ("start", #"{"by":"op-1"}"#),
                    ("escalate", #"{"by":"op-1","line":"second","group":"2nd Line","reason":"unknown error"}"#),
                    ("suspend", #"{"by":"sl-1","reason":"waiting for the caller"}"#),
                    ("resume", #"{"by":"sl-1"}"#),
                ] {
                    let (status, body) = try await post("/tickets/\(number)/\(action)", body)
                    #expect(status == .ok, "\(action): \(body)")
                }
                // Queues: the ticket waits on the second line.
                var queues: [String: Any] = [:]
                for _ in 0..<100 {
                    queues = try await get("/queues")
                    if (queues["byLine"] as? [[String: Any]])?.first?["key"] as? String == "2nd line" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(queues["open"] as? Int == 1)
                #expect((queues["byLine"] as? [[String: Any]])?.first?["key"] as? String == "2nd line")
                // A refused command is a 409 with the desk's reason.
                let (refused, _) = try await post("/tickets/\(number)/close", #"{"by":"sl-1"}"#)
                #expect(refused == .conflict)
                for (action, body) in [("resolve", #"{"by":"sl-1","code":"replaced"}"#), ("rate", #"{"by":"ann","score":4}"#), ("close", #"{"by":"sl-1"}"#)] {
                    let (status, _) = try await post("/tickets/\(number)/\(action)", body)
                    #expect(status == .ok, "\(action)")
                }
                let closed = try await get("/tickets/\(number)")
                #expect(closed["status"] as? String == "closed")
                #expect((closed["events"] as? [String])?.count == 10)  // registered, SLA, assigned, started, escalated, suspended, resumed, resolved, rated, closed
                // Metrics: one registered, resolved after an escalation, rated 4.
                var metrics: [String: Any] = [:]
                for _ in 0..<100 {
                    metrics = try await get("/metrics")
                    if (metrics["total"] as? [String: Any])?["closed"] as? Int == 1 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let total = try #require(metrics["total"] as? [String: Any])
                #expect(total["registered"] as? Int == 1)
                #expect(total["closed"] as? Int == 1)
                #expect(total["escalationRate"] as? Double == 1)
                #expect(total["satisfactionMean"] as? Double == 4)
                #expect(try await get("/queues")["open"] as? Int == 0)
            }
        }
    }

    @Test("a retried POST with the same Idempotency-Key registers or changes nothing and answers as the first did")
    func idempotentRetries() async throws {
        try await withTemporaryLedger { log in
            let app = makeApplication(log: log, port: 0)
            try await app.test(.live) { client in
                func post(_ uri: String, _ json: String, key: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    let headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: key]
                    return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) { response in
                        (response.status, (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]) ?? [:])
                    }
                }
                let new = #"{"caller":"ann","title":"Till 4 frozen","category":"Hardware","service":"Point of Sale","by":"op-1"}"#
                let (created, first) = try await post("/tickets", new, key: "client-42")
                #expect(created == .created)
                let events = try log.lastPosition()
                let (again, second) = try await post("/tickets", new, key: "client-42")
                #expect(again == .created)
                #expect(second["number"] as? String == first["number"] as? String)
                #expect(try log.lastPosition() == events)
                let (_, other) = try await post("/tickets", new, key: "client-43")
                #expect(other["number"] as? String == "INC-000002")
                let assign = #"{"by":"op-1","group":"Service Desk","agent":"op-1"}"#
                #expect(try await post("/tickets/INC-000001/assign", assign, key: "assign-1").0 == .ok)
                let assigned = try log.lastPosition()
                #expect(try await post("/tickets/INC-000001/assign", assign, key: "assign-1").0 == .ok)
                #expect(try log.lastPosition() == assigned)
            }
        }
    }
}

