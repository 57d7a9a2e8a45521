// swift-tools-version: 6.1
// The benchmarks of TicketLedger, in their own package so that library users never
// resolve package-benchmark. Run: swift package --package-path Benchmarks benchmark --no-progress
import PackageDescription

let package = Package(
    name: "TicketLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "TicketLedger", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The raw-LMDB baseline calls the C API directly, through its own module map.
        .systemLibrary(name: "CLMDBRaw", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .target(name: "RawLMDBBaseline", dependencies: ["CLMDBRaw", .product(name: "EventLog", package: "TicketLedger")]),
        .executableTarget(
            name: "PeerWorkload",
            dependencies: [
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "TicketLedger", package: "TicketLedger"),
                .product(name: "Projections", package: "TicketLedger"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// One executable per benchmark suite, each with the products it measures.
let suites: [(name: String, products: [String])] = [
    ("EventLogBenchmarks", ["EventLog", "PostgresEventLog", "TicketLedger", "Projections"]),
    ("TicketLedgerBenchmarks", ["EventLog", "TicketLedger"]),
    ("ProjectionBenchmarks", ["EventLog", "TicketLedger", "Projections"]),
    ("ExportBenchmarks", ["EventLog", "LedgerIO"]),
    ("ImportBenchmarks", ["EventLog", "TicketLedger", "LedgerIO"]),
]
for suite in suites {
    package.targets.append(.executableTarget(
        name: suite.name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "RawLMDBBaseline"]
            + suite.products.map { .product(name: $0, package: "TicketLedger") },
        path: "Benchmarks/\(suite.name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ))
}
