// swift-tools-version: 6.1
// A Swift service that embeds TicketLedger behind an HTTP API (Hummingbird 2).
// Its own package, so the main build never resolves Hummingbird.
//   swift run --package-path Examples/EmbeddedDesk embedded-desk [LEDGER] [PORT]
import PackageDescription

let package = Package(
    name: "EmbeddedDesk",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "TicketLedger", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(name: "embedded-desk", dependencies: ["EmbeddedDesk"]),
        .testTarget(
            name: "EmbeddedDeskTests",
            dependencies: [
                "EmbeddedDesk",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "TicketLedgerTesting", package: "TicketLedger"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
