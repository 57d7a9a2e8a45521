// swift-tools-version: 6.1
// A Swift service that embeds TicketLedger behind an HTTP API (Hummingbird 2).
// Its own package, so the main build never resolves Hummingbird.
//   EMBEDDED_DESK_TOKENS=secret=op-1 swift run --package-path Examples/EmbeddedDesk embedded-desk [LEDGER] [PORT]
import PackageDescription

let package = Package(
    name: "EmbeddedDesk",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "TicketLedger", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "EmbeddedDesk",
            dependencies: [
                .product(name: "TicketLedger", package: "TicketLedger"),
                .product(name: "Projections", package: "TicketLedger"),
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("openapi.json")]
        ),
        .executableTarget(name: "embedded-desk", dependencies: ["EmbeddedDesk"]),
        .testTarget(
            name: "EmbeddedDeskTests",
            dependencies: [
                "EmbeddedDesk",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "TicketLedgerTesting", package: "TicketLedger"),
                .product(name: "TicketLedger", package: "TicketLedger"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
