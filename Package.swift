// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TicketLedger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "TicketLedger", targets: ["TicketLedger"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "LedgerIO", targets: ["LedgerIO"]),
        // The PostgreSQL backend, in its own product: LMDB-only users never build postgres-nio.
        .library(name: "PostgresEventLog", targets: ["PostgresEventLog"]),
        // Subject keys (personal data) in a table of a PostgreSQL ledger's schema.
        .library(name: "PostgresSubjectKeys", targets: ["PostgresSubjectKeys"]),
        // Temporary ledgers for the tests of services that embed TicketLedger.
        .library(name: "TicketLedgerTesting", targets: ["TicketLedgerTesting"]),
        .executable(name: "desk", targets: ["desk"]),
    ],
    traits: [
        .trait(name: "PostgreSQL", description: "desk opens postgres:// ledgers (builds postgres-nio and SwiftNIO); without it desk is LMDB-only"),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `swift package generate-documentation` (DocC); built only when that command runs.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Debian's liblmdb-dev, through pkg-config. Only EventLog imports it.
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"]), .brew(["lmdb"])]
        ),
        .target(
            name: "EventLog",
            dependencies: [
                "CLMDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "TicketLedger",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                // AES-GCM-SIV (RFC 8452), which seals personal data.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "EventLog",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Projections",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "EventLog",
                "TicketLedger",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LedgerIO",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "EventLog",
                "TicketLedger",
                "Projections",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Presets")]
        ),
        .target(
            name: "PostgresEventLog",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "EventLog",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PostgresSubjectKeys",
            dependencies: ["PostgresEventLog", "TicketLedger"]
        ),
        // The two backends side by side, for the package's own tests (not a product).
        .target(
            name: "LedgerBackendsTesting",
            dependencies: ["EventLog", "PostgresEventLog", "TicketLedgerTesting"]
        ),
        .target(
            name: "TicketLedgerTesting",
            dependencies: ["EventLog", "CLMDB"]
        ),
        .executableTarget(
            name: "desk",
            dependencies: [
                "EventLog",
                "TicketLedger",
                "Projections",
                "LedgerIO",
                .target(name: "PostgresEventLog", condition: .when(traits: ["PostgreSQL"])),
                .target(name: "PostgresSubjectKeys", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "log-quickstart",
            dependencies: ["EventLog"],
            path: "Examples/LogQuickstart"
        ),
        .executableTarget(
            name: "analyst-replay",
            dependencies: ["EventLog", "TicketLedger", "Projections"],
            path: "Examples/AnalystReplay"
        ),
        .executableTarget(
            name: "custom-projection",
            dependencies: ["EventLog", "TicketLedger", "Projections"],
            path: "Examples/CustomProjection"
        ),
        .executableTarget(
            name: "auditor-export",
            dependencies: ["EventLog", "TicketLedger", "LedgerIO"],
            path: "Examples/AuditorExport"
        ),
        // A child process for the crash and multi-process tests.
        .executableTarget(
            name: "ledger-test-helper",
            dependencies: ["EventLog", "PostgresEventLog"]
        ),
        .testTarget(
            name: "TicketLedgerTests",
            dependencies: [
                "TicketLedger", "EventLog", "TicketLedgerTesting", "LedgerBackendsTesting", "PostgresEventLog", "PostgresSubjectKeys",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "LedgerIOTests",
            dependencies: [
                "LedgerIO", "EventLog", "TicketLedger", "Projections", "TicketLedgerTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            exclude: ["Golden", "Fixtures"]
        ),
        .testTarget(
            name: "DeskCLITests",
            dependencies: ["EventLog", "Projections", "TicketLedgerTesting", "desk", "analyst-replay", "auditor-export", "custom-projection"],
            exclude: ["kpi_check.py", "flow_check.py"]
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: [
                "Projections", "TicketLedger", "EventLog", "TicketLedgerTesting", "LedgerBackendsTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "EventLogTests",
            dependencies: [
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "EventLog", "PostgresEventLog", "TicketLedgerTesting", "LedgerBackendsTesting", "ledger-test-helper", "log-quickstart",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
