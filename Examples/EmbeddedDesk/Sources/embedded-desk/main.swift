import EmbeddedDesk
import EventLog
import Hummingbird

// Serves a ledger over HTTP until SIGINT or SIGTERM (a graceful shutdown: the
// server stops taking requests, the live projection saves nothing and ends).
let arguments = CommandLine.arguments
let path = arguments.count > 1 ? arguments[1] : "embedded-desk-ledger"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 8080 : 8080
let log = try EventLog(path: path)
let app = makeApplication(log: log, port: port)
try await app.runService()
log.close()
