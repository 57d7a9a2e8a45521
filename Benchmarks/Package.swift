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
        .executableTarget(
            name: "EventLogBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "TicketLedger"),
                "RawLMDBBaseline",
            ],
            path: "Benchmarks/EventLogBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TicketLedgerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "TicketLedger", package: "TicketLedger"),
                "RawLMDBBaseline",
            ],
            path: "Benchmarks/TicketLedgerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ProjectionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "TicketLedger", package: "TicketLedger"),
                .product(name: "Projections", package: "TicketLedger"),
                "RawLMDBBaseline",
            ],
            path: "Benchmarks/ProjectionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ExportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "LedgerIO", package: "TicketLedger"),
            ],
            path: "Benchmarks/ExportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ImportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "TicketLedger"),
                .product(name: "LedgerIO", package: "TicketLedger"),
                "RawLMDBBaseline",
            ],
            path: "Benchmarks/ImportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
