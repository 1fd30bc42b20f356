// swift-tools-version: 6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
        .library(name: "ConcordCore", targets: ["ConcordCore"]),
        .library(name: "ConcordStore", targets: ["ConcordStore"]),
        .library(name: "ConcordWeb", targets: ["ConcordWeb"]),
        .library(name: "ConcordInterop", targets: ["ConcordInterop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
    ],
    targets: [
        .target(
            name: "ConcordCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            resources: [.copy("Resources/public_suffix_list.dat")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConcordStore",
            dependencies: [
                "ConcordCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConcordFederation",
            dependencies: [
                "ConcordCore",
                "ConcordStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConcordAnalysis",
            dependencies: ["ConcordCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConcordInterop",
            dependencies: [
                "ConcordCore",
                "ConcordAnalysis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [
                .copy("Resources/interventions.yaml"), .copy("Resources/capability-framework.yaml"),
                .copy("Resources/exercises"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConcordWeb",
            dependencies: [
                "ConcordAnalysis",
                "ConcordCore",
                "ConcordInterop",
                "ConcordStore",
                "ConcordFederation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/pages"), .copy("Resources/public")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "ConcordAnalysis",
                "ConcordCore",
                "ConcordFederation",
                "ConcordStore",
                "ConcordInterop",
                "ConcordWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConcordCoreTests",
            dependencies: [
                "ConcordCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConcordAnalysisTests",
            dependencies: [
                "ConcordCore",
                "ConcordAnalysis",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConcordInteropTests",
            dependencies: ["ConcordCore", "ConcordAnalysis", "ConcordInterop"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConcordStoreTests",
            dependencies: ["ConcordCore", "ConcordStore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConcordWebTests",
            dependencies: [
                "ConcordCore",
                "ConcordStore",
                "ConcordFederation",
                "ConcordWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
