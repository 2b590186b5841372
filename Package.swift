// swift-tools-version:6.0
import PackageDescription

/// Swift 6 language mode everywhere, `any` spelled out for existentials, and members visible only
/// through a file's own imports (a file that uses a module's API imports it). `InternalImportsByDefault`
/// is not on: every target's public and package signatures name types of Core, Store or NIO, so each
/// of those imports would need `public import` — a change to every file, left for its own commit.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "SnackBaseSwift",
    // iOS for the SnackBaseClient library (Duration, AsyncThrowingStream.makeStream); the server is built for macOS and Linux.
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .executable(name: "snackbase", targets: ["snackbase"]),
        // The Swift client for apps (iOS, macOS, Linux): Foundation only, no dependency on the server's targets.
        .library(name: "SnackBaseClient", targets: ["SnackBaseClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Tests only: a streaming HTTP client that reads realtime streams as they arrive (HummingbirdTesting already builds it).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // The rule language: lexer, parser, checker, evaluator, partial evaluator, SQL compiler.
        .target(name: "SnackBaseRules", swiftSettings: strict),
        // BLAKE2b + Argon2id (RFC 7693, RFC 9106), pure Swift.
        .target(name: "Argon2", swiftSettings: strict),
        // The vocabulary shared by every layer.
        .target(name: "SnackBaseCore", swiftSettings: strict),
        // The one place that decides: pure, no I/O.
        .target(name: "SnackBaseAccess", dependencies: ["SnackBaseCore", "SnackBaseRules"], swiftSettings: strict),
        // Tokens and passwords.
        .target(
            name: "SnackBaseAuth",
            dependencies: [
                "SnackBaseCore", "Argon2",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The variadic SQLite calls Swift cannot make (see CSQLiteShim.h).
        .target(name: "CSQLiteShim"),
        // The only target that talks to a database.
        .target(
            name: "SnackBaseStore",
            dependencies: [
                "SnackBaseCore", "SnackBaseRules", "CSQLiteShim",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The application layer: one use case per operation (who calls, may they, in one transaction),
        // between HTTP and the store; knows no HTTP.
        .target(
            name: "SnackBaseService",
            dependencies: [
                "SnackBaseCore", "SnackBaseAccess", "SnackBaseAuth", "SnackBaseStore", "SnackBaseRules", "Argon2", "SnackBaseMail",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // Outgoing mail: an SMTP client on SwiftNIO (STARTTLS, AUTH), MIME messages, a retrying queue.
        .target(
            name: "SnackBaseMail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The admin console's HTML, CSS and JavaScript modules, compiled into the binary (`embedInCode`):
        // served at `/_/` by SnackBaseAPI. `Files/snackbase.js` is a symlink to `clients/js/snackbase.js`.
        .target(name: "SnackBaseConsole", resources: [.embedInCode("Files")], swiftSettings: strict),
        // The only target that imports Hummingbird.
        .target(
            name: "SnackBaseAPI",
            dependencies: [
                "SnackBaseService", "SnackBaseConsole", "SnackBaseCore", "SnackBaseAccess", "SnackBaseAuth", "SnackBaseStore", "SnackBaseRules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "snackbase",
            dependencies: [
                "SnackBaseAPI", "SnackBaseService", "SnackBaseStore", "SnackBaseAuth", "SnackBaseCore", "SnackBaseRules",
                "SnackBaseAccess", "Argon2", "SnackBaseMail",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict,
            // Release builds on Linux link with lld and pack relative relocations (a 3.4 MB table the
            // loader read at every start) and do not export every symbol (a 1.3 MB table, 1.4 MB of
            // names): idle memory 39.8 -> 31.9 MiB, see README "Performance". DT_RELR needs glibc 2.36.
            // They also place first the functions a start, a login and the benchmark's requests run
            // (Benchmarks/code-order), so that code shares pages instead of being spread over 35 MB of
            // .text that the kernel maps in 64 KiB or larger pieces: idle memory 34.1 -> 24.4 MiB.
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
                              "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Benchmarks/code-order/functions.txt",
                              "-Xlinker", "--no-warn-symbol-ordering"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        // Benchmarks run in release builds, outside the test suite.
        .executableTarget(name: "Argon2Benchmark", dependencies: ["Argon2"], path: "Benchmarks/Argon2Benchmark", swiftSettings: strict),
        .executableTarget(name: "RulesBenchmark", dependencies: ["SnackBaseRules"], path: "Benchmarks/RulesBenchmark", swiftSettings: strict),
        .executableTarget(
            name: "AccessBenchmark", dependencies: ["SnackBaseAccess", "SnackBaseCore", "SnackBaseRules"],
            path: "Benchmarks/AccessBenchmark", swiftSettings: strict
        ),

        // The Swift client library: Foundation (and FoundationNetworking on Linux) only; it must never
        // depend on a server target, so that an app pulls in nothing of the server.
        .target(name: "SnackBaseClient", swiftSettings: strict),

        // Fixtures for the test targets only (a fresh database per test, the audit tamperer):
        // no product and no other source target depends on it.
        .target(
            name: "SnackBaseTesting",
            dependencies: [
                "SnackBaseCore", "SnackBaseStore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "Argon2Tests", dependencies: ["Argon2"], swiftSettings: strict),
        // Against a real SMTP server on loopback (Python's aiosmtpd, started by the tests).
        .testTarget(
            name: "SnackBaseMailTests",
            dependencies: [
                "SnackBaseMail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["smtp_sink.py"],
            swiftSettings: strict
        ),
        // The one place that decides, tested alone from security-model.md §3–§4.
        .testTarget(name: "SnackBaseAccessTests", dependencies: ["SnackBaseAccess", "SnackBaseCore", "SnackBaseRules"], swiftSettings: strict),
        .testTarget(name: "SnackBaseCoreTests", dependencies: ["SnackBaseCore"], swiftSettings: strict),
        .testTarget(
            name: "SnackBaseAuthTests",
            dependencies: ["SnackBaseAuth", "SnackBaseCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SnackBaseStoreTests",
            dependencies: [
                "SnackBaseStore", "SnackBaseCore", "SnackBaseRules", "SnackBaseTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SnackBaseRulesTests",
            dependencies: [
                "SnackBaseRules",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
        // The Swift client against a live server started in the test process (SQLite, and PostgreSQL when set).
        .testTarget(
            name: "SnackBaseClientTests",
            dependencies: [
                "SnackBaseClient", "SnackBaseAPI", "SnackBaseService", "SnackBaseStore", "SnackBaseAuth", "SnackBaseTesting", "Argon2",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SnackBaseAPITests",
            dependencies: [
                "SnackBaseAPI", "SnackBaseService", "SnackBaseStore", "SnackBaseAuth", "SnackBaseCore", "SnackBaseTesting", "Argon2", "SnackBaseMail",
                "SnackBaseConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
