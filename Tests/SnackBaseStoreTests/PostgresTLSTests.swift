import Foundation
import NIOCore
import NIOPosix
import SQLKit
import SnackBaseCore
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// `sslmode` and `sslrootcert` of `SNACKBASE_DATABASE_URL`, read as libpq reads them: a mode that
/// requires TLS never falls back to a plain connection, and the certificate is checked as far as the
/// mode says. The first tests need no PostgreSQL (a loopback listener that refuses TLS as a server
/// without it does); the last ones run against the tests' server when scripts/test started it with
/// TLS (`SNACKBASE_TEST_POSTGRES_CA`, the authority that signed its certificate for the name localhost only).
@Suite("PostgreSQL: TLS as the URL asks")
struct PostgresTLSTests {
    @Test("PG-TLS-001: an sslmode or ssl parameter that is not known stops the start, naming it", arguments: [
        ("sslmode=verify", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full"),
        ("sslmode=", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full"),
        ("sslmode=REQUIRE", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full"),
        ("sslcert=/tmp/client.crt", "sslcert is not supported (only sslmode and sslrootcert)"),
        ("sslmode=require&sslcrl=/tmp/crl.pem", "sslcrl is not supported (only sslmode and sslrootcert)"),
        ("sslrootcert=", "sslrootcert needs a file (or system)"),
    ])
    func unknownSettingsAreRefused(query: String, message: String) async throws {
        // Port 9: nothing is ever reached, the URL is refused before any connection.
        await #expect(throws: StoreError.configuration(message)) {
            let store = try await PostgresStore(url: "postgres://postgres@127.0.0.1:9/db?" + query, logger: TestDatabase.logger)
            await store.shutdown()
        }
    }

    @Test("PG-TLS-005: a backup's pg_dump is given the mode the server's connections use, from the URL alone", arguments: [
        ("", "prefer", nil), ("?sslmode=allow", "prefer", nil), ("?sslmode=disable", "disable", nil),
        ("?sslmode=require", "require", nil), ("?sslmode=require&sslrootcert=/etc/ca.pem", "verify-ca", "/etc/ca.pem"),
        ("?sslmode=verify-full&sslrootcert=system", "verify-full", "system"), ("?sslmode=verify-ca", "verify-ca", nil),
    ] as [(String, String, String?)])
    func backupTakesTheServersMode(query: String, mode: String, root: String?) throws {
        // Whatever the shell that runs the backup holds, the URL decides: a PGSSLMODE=disable left there must not weaken it.
        let shell = ["PATH": "/usr/bin", "PGSSLMODE": "disable", "PGSSLROOTCERT": "/tmp/elsewhere.pem", "PGPASSWORD": "stale"]
        let info = try PostgresConnectionInfo(url: "postgres://backup:secret@db.internal:5432/app" + query, inherited: shell)
        #expect(info.environment["PATH"] == "/usr/bin")
        #expect(info.environment["PGSSLMODE"] == mode)
        #expect(info.environment["PGSSLROOTCERT"] == root)
        #expect(info.environment["PGPASSWORD"] == "secret")
        #expect(!info.arguments.joined().contains("secret"))
    }

    @Test("PG-TLS-006: a backup refuses an sslmode or ssl parameter the server would refuse")
    func backupRefusesUnknownSettings() {
        for query in ["?sslmode=verify", "?sslcert=/tmp/client.crt"] {
            #expect(throws: BackupError.self) { try PostgresConnectionInfo(url: "postgres://backup@db.internal/app" + query) }
        }
    }

    @Test("PG-TLS-002: an sslrootcert that cannot be read stops the start")
    func unreadableRootCertificate() async throws {
        let error = await #expect(throws: StoreError.self) {
            let store = try await PostgresStore(url: "postgres://postgres@127.0.0.1:9/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt",
                                                logger: TestDatabase.logger)
            await store.shutdown()
        }
        guard case .configuration(let text) = error else { Issue.record("not a configuration error: \(String(describing: error))"); return }
        #expect(text.hasPrefix("sslrootcert /nonexistent/ca.crt: cannot be read"))
    }

    @Test("PG-TLS-003: sslmode=require against a server without TLS sends nothing in plain; prefer does, disable never asks", arguments: [
        ("require", false), ("verify-ca", false), ("verify-full", false), ("prefer", true), ("allow", true), ("disable", true),
    ])
    func requireNeverFallsBack(mode: String, sendsStartup: Bool) async throws {
        let server = try await PlainOnlyServer.start()
        defer { server.stop() }
        let error = await #expect(throws: StoreError.self) {
            let store = try await PostgresStore(url: "postgres://postgres:secret@127.0.0.1:\(server.port)/db?sslmode=\(mode)",
                                                logger: TestDatabase.logger)
            await store.shutdown()
        }
        let connections = server.connections
        #expect(!connections.isEmpty)
        for sent in connections {
            if mode == "disable" {
                // No TLS asked for: the first message is the startup message itself.
                #expect(sent.count > 8 && !PlainOnlyServer.isTLSRequest(sent))
            } else {
                #expect(PlainOnlyServer.isTLSRequest(sent), "the client asks for TLS first")
                #expect((sent.count > 8) == sendsStartup, "after the refusal of TLS: \(sent.count - 8) bytes more")
            }
        }
        if !sendsStartup {
            #expect(error == StoreError.configuration("cannot connect to PostgreSQL at 127.0.0.1:\(server.port): the server does not offer TLS, which sslmode requires"))
        }
        #expect(!String(describing: error).contains("secret"))
    }

    // MARK: against the tests' PostgreSQL with TLS

    static var tlsServer: (url: URLComponents, ca: String)? {
        guard let url = TestDatabase.postgresURL, let components = URLComponents(string: url),
              let ca = ProcessInfo.processInfo.environment["SNACKBASE_TEST_POSTGRES_CA"], !ca.isEmpty else { return nil }
        return (components, ca)
    }

    /// The URL of the tests' server with `query`, and `host` instead of its own; `database` instead of its own.
    static func url(_ query: String, host: String? = nil, database: String? = nil) -> String {
        guard var components = tlsServer?.url else { return "" }
        if let host { components.host = host }
        if let database { components.path = "/" + database }
        components.query = query.isEmpty ? nil : query
        return components.string ?? ""
    }

    /// Whether the store's pool connections are encrypted, in PostgreSQL's own words (`pg_stat_ssl`).
    static func encrypted(_ url: String) async throws -> Bool {
        let store = try await PostgresStore(url: url, logger: TestDatabase.logger)
        do {
            let ssl = try await store.read { db in
                try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                    try await db.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()?.decode(column: "ssl", as: Bool.self)
                }
            }
            await store.shutdown()
            return try #require(ssl)
        } catch {
            await store.shutdown()
            throw error
        }
    }

    @Test("PG-TLS-004: against a server with TLS, each mode encrypts and checks the certificate as it says",
          .enabled(if: PostgresTLSTests.tlsServer != nil))
    func modesAgainstATLSServer() async throws {
        let ca = try #require(Self.tlsServer?.ca)
        // A database of its own, migrated (its application role is what a read runs as).
        let name = "snackbase_test_" + SecureID.randomHex(bytes: 6)
        let admin = try await PostgresStore(url: Self.url(""), logger: TestDatabase.logger, connectionWait: .seconds(30))
        try await admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        var failure: (any Error)?
        do { try await Self.checkModes(database: name, ca: ca) } catch { failure = error }
        try? await admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.shutdown()
        if let failure { throw failure }
    }

    static func checkModes(database name: String, ca: String) async throws {
        let migrating = try await PostgresStore(url: Self.url("", database: name), logger: TestDatabase.logger)
        try await Migrator.migrate(migrating)
        await migrating.shutdown()
        func url(_ query: String, host: String? = nil) -> String { Self.url(query, host: host, database: name) }

        #expect(try await Self.encrypted(url("")), "no sslmode: prefer, so TLS when offered")
        #expect(try await Self.encrypted(url("sslmode=prefer")))
        #expect(try await !Self.encrypted(url("sslmode=disable")))
        #expect(try await Self.encrypted(url("sslmode=require")), "require checks no certificate")
        #expect(try await Self.encrypted(url("sslmode=verify-full&sslrootcert=\(ca)", host: "localhost")), "signed by the authority, for localhost")
        // The certificate is for the name localhost, not for the address 127.0.0.1: only verify-full looks at that.
        #expect(try await Self.encrypted(url("sslmode=verify-ca&sslrootcert=\(ca)")))
        #expect(try await Self.encrypted(url("sslmode=verify-ca&sslrootcert=\(ca)", host: "localhost")))
        for refused in [
            url("sslmode=verify-full&sslrootcert=\(ca)"),  // 127.0.0.1: not what the certificate names
            url("sslmode=verify-full", host: "localhost"),  // the system's authorities never signed it
            url("sslmode=verify-ca&sslrootcert=system"),
            url("sslmode=require&sslrootcert=system"),
            url("sslmode=require&sslrootcert=/etc/ssl/certs/ca-certificates.crt"),  // require with a root file is verify-ca
        ] {
            let error = await #expect(throws: StoreError.self, "\(refused)") {
                let store = try await PostgresStore(url: refused, logger: TestDatabase.logger)
                await store.shutdown()
            }
            guard case .configuration(let text) = error else { Issue.record("\(refused): \(String(describing: error))"); continue }
            #expect(text.hasPrefix("cannot connect to PostgreSQL at "), "\(refused): \(text)")
        }
    }
}

/// A loopback listener that answers a TLS request the way a PostgreSQL server without TLS does (`N`),
/// records every byte each connection sends, and closes a connection once it was sent more.
final class PlainOnlyServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let recorder: Recorder
    let port: Int

    /// What each connection sent, in the order they came.
    var connections: [[UInt8]] { recorder.connections.withLock { $0 } }

    /// PostgreSQL's SSLRequest: length 8, code 80877103.
    static let tlsRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
    static func isTLSRequest(_ bytes: [UInt8]) -> Bool { bytes.count >= 8 && Array(bytes.prefix(8)) == tlsRequest }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, recorder: Recorder) {
        self.group = group
        self.channel = channel
        self.recorder = recorder
        self.port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> PlainOnlyServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(recorder: recorder)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return PlainOnlyServer(group: group, channel: channel, recorder: recorder)
    }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    final class Recorder: Sendable {
        let connections = Mutex<[[UInt8]]>([])
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let recorder: Recorder
        private let index: Int
        private var sent: [UInt8] = []
        private var refused = false
        init(recorder: Recorder) {
            self.recorder = recorder
            index = recorder.connections.withLock { $0.append([]); return $0.count - 1 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            sent += buffer.readBytes(length: buffer.readableBytes) ?? []
            let sent = sent, index = index
            recorder.connections.withLock { $0[index] = sent }
            guard sent.count >= 8 else { return }
            if !refused, sent.count == 8, PlainOnlyServer.isTLSRequest(sent) {
                refused = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "N")), promise: nil)
            } else {
                context.close(promise: nil)
            }
        }
    }
}
