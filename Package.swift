// swift-tools-version:6.2
import PackageDescription

/// One set of compiler settings for every target of the package.
/// CI sets `CI=true`, which turns every warning of our own code into an error.
var sharedSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
if Context.environment["CI"] == "true" {
    sharedSwiftSettings.append(.treatAllWarnings(as: .error))
}

let package = Package(
    name: "modelwatch",
    products: [
        .executable(name: "modelwatch", targets: ["modelwatch"]),
        .library(name: "ModelWatch", targets: ["ModelWatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Signal-driven I/O for libcurl's sockets (F_SETSIG, F_SETOWN_EX, signalfd need _GNU_SOURCE).
        .target(name: "CSignalIO"),
        .target(
            name: "ModelWatchProxy",
            dependencies: [
                "CCurl",
                "CSignalIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatchProtocols",
            swiftSettings: sharedSwiftSettings,
            // `rounded()` lives in libm, which nothing else pulls in for a binary without Foundation.
            linkerSettings: [.linkedLibrary("m")]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "ModelWatchStore",
            dependencies: ["CSQLite"],
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatchQuery",
            dependencies: ["ModelWatchStore"],
            swiftSettings: sharedSwiftSettings,
            linkerSettings: [.linkedLibrary("m")]
        ),
        .target(
            name: "ModelWatchAlerting",
            dependencies: ["ModelWatchQuery", "ModelWatchStore", .product(name: "Yams", package: "Yams")],
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatchDrift",
            dependencies: ["ModelWatchProtocols"],
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatchMetrics",
            dependencies: [.product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatch",
            dependencies: [
                "ModelWatchProxy",
                "ModelWatchProtocols",
                "ModelWatchMetrics",
                "ModelWatchStore",
                "ModelWatchQuery",
                "ModelWatchAlerting",
                "ModelWatchDrift",
                "ModelWatchReference",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "modelwatch",
            dependencies: [
                "ModelWatch",
                "ModelWatchAlerting",
                "ModelWatchDrift",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "modelwatch-decode-bench",
            dependencies: ["ModelWatchProtocols"],
            path: "bench/DecodeBenchmark",
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "modelwatch-analysis-bench",
            dependencies: [
                "ModelWatch",
                "ModelWatchProxy",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/AnalysisBenchmark",
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "modelwatch-store-bench",
            dependencies: ["ModelWatchStore"],
            path: "bench/StoreBenchmark",
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "modelwatch-drift-bench",
            dependencies: ["ModelWatchDrift", "ModelWatchProtocols"],
            path: "bench/DriftBenchmark",
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ModelWatchReference",
            swiftSettings: sharedSwiftSettings,
            linkerSettings: [.linkedLibrary("m")]
        ),
        .executableTarget(
            name: "modelwatch-reference-bench",
            dependencies: ["ModelWatchReference"],
            path: "bench/ReferenceBenchmark",
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchProxyTests",
            dependencies: [
                "ModelWatchProxy",
                "CSignalIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchProtocolsTests",
            dependencies: ["ModelWatchProtocols"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchStoreTests",
            dependencies: ["ModelWatchStore"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchQueryTests",
            dependencies: ["ModelWatchQuery", "ModelWatchStore", "TestSupport"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchAlertingTests",
            dependencies: ["ModelWatchAlerting", "ModelWatchQuery", "ModelWatchStore"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchDriftTests",
            dependencies: ["ModelWatchDrift", "ModelWatchProtocols", "TestSupport"],
            exclude: ["Oracle"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchReferenceTests",
            dependencies: [
                "ModelWatchReference", "ModelWatch", "ModelWatchMetrics", "ModelWatchProtocols", "ModelWatchProxy", "ModelWatchStore",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Oracle"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchMetricsTests",
            dependencies: ["ModelWatchMetrics"],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ModelWatchTests",
            dependencies: [
                "ModelWatch",
                "ModelWatchAlerting",
                "ModelWatchProxy",
                "ModelWatchProtocols",
                "ModelWatchMetrics",
                "ModelWatchStore",
                "ModelWatchQuery",
                "ModelWatchDrift",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "modelwatch",
                "TestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: sharedSwiftSettings
        ),
    ]
)

// Fuzz targets (issue 18) exist only when bench/fuzz.sh sets MODELWATCH_FUZZ=1 and builds in its
// own scratch path, so the normal build, its tests and CI never compile or instrument them. Our own
// library targets then get libFuzzer's coverage instrumentation (`-sanitize=fuzzer` when compiling
// adds only the counters; libFuzzer itself is linked into the fuzz executable alone) and
// testability, so the harness can reach internal parsers such as `ServerSentEvents`.
if Context.environment["MODELWATCH_FUZZ"] == "1" {
    for target in package.targets where target.type == .regular && target.name.hasPrefix("ModelWatch") {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=fuzzer", "-enable-testing"])]
    }
    package.targets.append(
        .executableTarget(
            name: "modelwatch-fuzz",
            dependencies: [
                "ModelWatch",
                "ModelWatchDrift",
                "ModelWatchProtocols",
                "ModelWatchProxy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "bench/Fuzz",
            swiftSettings: sharedSwiftSettings + [.unsafeFlags(["-sanitize=fuzzer"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=lld"])]
        )
    )
    package.products.append(.executable(name: "modelwatch-fuzz", targets: ["modelwatch-fuzz"]))
}
