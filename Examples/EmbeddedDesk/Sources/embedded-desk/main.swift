import EmbeddedDesk
import EventLog
import Foundation
import Hummingbird
import Prometheus
import TicketLedger

// Serves a ledger over HTTP on loopback until SIGINT or SIGTERM (a graceful
// shutdown: the server stops taking requests, the live projection ends).
//   EMBEDDED_DESK_TOKENS="TOKEN=AGENT[,TOKEN=AGENT...]" embedded-desk [LEDGER] [PORT]
let arguments = CommandLine.arguments
let path = arguments.count > 1 ? arguments[1] : "embedded-desk-ledger"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 8080 : 8080
var tokens: [String: String] = [:]
for pair in (ProcessInfo.processInfo.environment["EMBEDDED_DESK_TOKENS"] ?? "").split(separator: ",") {
    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        FileHandle.standardError.write(Data("embedded-desk: EMBEDDED_DESK_TOKENS: '\(pair)' is not TOKEN=AGENT\n".utf8))
        exit(64)
    }
    tokens[parts[0]] = parts[1]
}
guard !tokens.isEmpty else {
    FileHandle.standardError.write(Data("embedded-desk: set EMBEDDED_DESK_TOKENS to TOKEN=AGENT pairs (the bearer tokens that may call the API, and the agent each acts as)\n".utf8))
    exit(64)
}
let registry = PrometheusCollectorRegistry()
var ledgerConfiguration = EventLogConfiguration()
ledgerConfiguration.metricsFactory = metricsFactory(for: registry)
let log = try EventLog(path: path, configuration: ledgerConfiguration)
// The callers' personal data sealed, its keys in LEDGER.keys (apart from the ledger: back it up on its own).
// A new ledger records that it seals; one written in clear stays so (desk copy --seal makes a sealed copy).
var personalData: PersonalData?
if try log.lastPosition() == 0 || PersonalData.isRequired(by: log) {
    personalData = PersonalData(keys: try SubjectKeyDirectory(path: path + ".keys", create: try log.lastPosition() == 0))
    try PersonalData.markProtected(log, by: ActorRef(.system, "embedded-desk"))
}
let app = makeApplication(log: log, configuration: ServiceConfiguration(port: port, tokens: tokens, registry: registry, personalData: personalData))
try await app.runService()
log.close()
