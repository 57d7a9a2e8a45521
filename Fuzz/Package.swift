// swift-tools-version: 6.1
// libFuzzer targets for what reads untrusted bytes: stored records, event
// payloads, CSV files, JSON Lines exports (the importer and the verifier),
// projection snapshots.
// Its own package, so the main build never carries the fuzzer's instrumentation.
//   make fuzz          (each target for FUZZ_SECONDS, default 600)
//   make fuzz-short    (each for 10 seconds: what CI runs)
import PackageDescription

let fuzzers = ["fuzz-record", "fuzz-payload", "fuzz-csv", "fuzz-jsonl", "fuzz-export", "fuzz-snapshot"]

let package = Package(
    name: "TicketLedgerFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "TicketLedger", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [.target(name: "FuzzSupport")] + fuzzers.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "TicketLedger", package: "TicketLedger"),
                .product(name: "LedgerIO", package: "TicketLedger"),
                .product(name: "Projections", package: "TicketLedger"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
