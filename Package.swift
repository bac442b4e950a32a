// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "reverify",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reverify", targets: ["reverify"]),
        .library(name: "ReverifyCore", targets: ["ReverifyCore"]),
        .library(name: "ReverifyStore", targets: ["ReverifyStore"]),
        .library(name: "ReverifyCrypto", targets: ["ReverifyCrypto"]),
        .library(name: "ReverifyServer", targets: ["ReverifyServer"]),
        .library(name: "ReverifyQR", targets: ["ReverifyQR"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The shared store for several instances (issue 14).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        .target(
            name: "ReverifyCore",
            swiftSettings: swiftSettings
        ),
        // QR codes for authenticator-app enrolment (issue 18): no QR package is in the mirror, so a small encoder
        // (ISO/IEC 18004 byte mode, level M) lives in its own pure module with its own tests.
        .target(
            name: "ReverifyQR",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReverifyCrypto",
            dependencies: [
                "CArgon2",
                "ReverifyCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReverifyStore",
            dependencies: [
                "ReverifyCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Migrations"), .copy("PostgresMigrations")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReverifyServer",
            dependencies: [
                "ReverifyCore",
                "ReverifyStore",
                "ReverifyCrypto",
                "ReverifyQR",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                // RFC 6238 code computation for authenticator apps (issue 18).
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "reverify",
            dependencies: [
                "ReverifyCore",
                "ReverifyStore",
                "ReverifyCrypto",
                "ReverifyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Layout"],
            swiftSettings: swiftSettings,
            linkerSettings: [
                // The toolchain's lld, for packed relative relocations (DT_RELR): the loader used to read 2.2 MiB
                // of `.rela.dyn` at every start, and those pages stayed resident (issue 13, idle RSS).
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]),
                // The code a server runs, packed together at the front of `.text` (scripts/code-layout writes
                // Layout/): the kernel maps code in 64 KiB blocks, and the 2 MiB a server runs, spread over the
                // binary, kept ~13 MiB of it resident. Full effect with scripts/build-release's one section per
                // function; release only, so debug links stay quick.
                .unsafeFlags([
                    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/reverify/Layout/hot.order",
                    "-Xlinker", "--no-warn-symbol-ordering",
                    "-Xlinker", "-T", "-Xlinker", "\(Context.packageDirectory)/Sources/reverify/Layout/hot.ld",
                ], .when(configuration: .release)),
            ]
        ),
        .testTarget(name: "ReverifyCoreTests", dependencies: ["ReverifyCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ReverifyQRTests", dependencies: ["ReverifyQR"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReverifyCryptoTests",
            dependencies: [
                "ReverifyCrypto", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "NIOPosix", package: "swift-nio"),
                // Passkey tests sign as an authenticator would.
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReverifyStoreTests",
            dependencies: [
                "ReverifyStore", "ReverifyCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                // The PostgreSQL retry counter, read without bootstrapping the process's metrics system.
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReverifyCLITests",
            // The store reads what the CLI wrote (WAL included); Crypto recomputes hashes independently.
            dependencies: ["ReverifyCore", "ReverifyStore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReverifyServerTests",
            dependencies: [
                "ReverifyServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // Workload clients sign their private_key_jwt assertions in the token exchange tests.
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The background services run in a ServiceGroup, as `reverify serve` runs them.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            // The toolchain's lld, for packed relative relocations (DT_RELR): the loader used to read 2.2 MiB of
            // `.rela.dyn` at every start, and those pages stayed resident (issue 13, idle RSS).
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]
        ),
    ]
)
