import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import SnackBaseMail

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary directory.
func makeTemporaryDirectory(_ label: String = "smtp") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("snackbase-mail-\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close().get()
    return port
}

/// Runs a command, returns (status, stdout+stderr).
@discardableResult
func runCommand(_ arguments: [String], in directory: URL? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A self-signed certificate for localhost / 127.0.0.1, made once per test run with the openssl CLI.
struct TestCertificate: Sendable {
    let certPath: String
    let keyPath: String

    static let shared: Result<TestCertificate, TestFailure> = {
        do {
            let dir = try makeTemporaryDirectory("cert")
            let cert = dir.appendingPathComponent("cert.pem").path
            let key = dir.appendingPathComponent("key.pem").path
            let (status, output) = try runCommand([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
            guard status == 0 else { return .failure(TestFailure("openssl failed: \(output)")) }
            return .success(TestCertificate(certPath: cert, keyPath: key))
        } catch {
            return .failure(TestFailure("cannot run openssl: \(error)"))
        }
    }()

    static func get() throws -> TestCertificate { try shared.get() }

    /// A client TLS configuration that trusts only this certificate.
    func clientTLS() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certPath))
        return tls
    }
}

/// What the sink recorded for one received message (see smtp_sink.py).
struct ReceivedMail: Decodable {
    var mail_from: String
    var rcpt_tos: [String]
    var subject: String?
    var from: String
    var to: String
    var message_id: String?
    var date: String?
    var mime_version: String?
    var content_type: String
    var header_names: [String]
    var text: String?
    var html: String?
    var defects: [String]
    var authenticated: Bool
    var tls: Bool
}

/// The Python aiosmtpd sink, as a child process. Stop it with `stop()` (tests use `defer`).
final class SMTPSink {
    let port: Int
    let directory: URL
    private let process: Process
    private let stdin: Pipe

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_sink.py").path
    }

    private init(port: Int, directory: URL, process: Process, stdin: Pipe) {
        self.port = port
        self.directory = directory
        self.process = process
        self.stdin = stdin
    }

    /// Starts the sink and waits until it accepts connections. Fails (does not skip) when
    /// python3 or aiosmtpd is missing, with the sink's own message.
    static func start(_ options: [String] = [], port requestedPort: Int? = nil) async throws -> SMTPSink {
        let port: Int
        if let requestedPort { port = requestedPort } else { port = try await freePort() }
        let directory = try makeTemporaryDirectory("sink")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, "--port", "\(port)", "--out", directory.path] + options
        let logPath = directory.appendingPathComponent("sink.stderr").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        let stdin = Pipe()  // the sink exits when this closes, even if the test process crashes
        process.standardInput = stdin
        try process.run()
        let sink = SMTPSink(port: port, directory: directory, process: process, stdin: stdin)
        let ready = directory.appendingPathComponent("ready").path
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: ready) {
            if !process.isRunning || ContinuousClock.now > deadline {
                sink.stop()
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw TestFailure("the SMTP sink (python3 smtp_sink.py, needs `python3 -m pip install aiosmtpd`) did not start: \(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return sink
    }

    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // Not `waitUntilExit()`: when Foundation misses the child's exit it spins there forever on a
        // thread of the cooperative pool (seen once in a clean-clone CI run, 100 % CPU, every test stalled).
        let killed = Date().addingTimeInterval(5)
        while process.isRunning && Date() < killed { usleep(10_000) }
    }

    deinit { stop() }

    /// Received messages in arrival order.
    func messages() throws -> [ReceivedMail] {
        try (0...).lazy.map { self.directory.appendingPathComponent("msg-\($0).json") }
            .prefix { FileManager.default.fileExists(atPath: $0.path) }
            .map { try JSONDecoder().decode(ReceivedMail.self, from: Data(contentsOf: $0)) }
    }

    func rawMessage(_ n: Int) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent("msg-\(n).eml"))
    }

    func events() -> [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("events.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Everything the sink received, raw, as one string (to check that no secret went over the wire in the clear).
    func allRawText() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }.joined()
    }
}

/// Addresses and a message used throughout.
enum Fixtures {
    static let from = try! MailAddress("noreply@snackbase.example", displayName: "SnackBase")
    static let to = try! MailAddress("alice@example.com", displayName: "Jürgen Müller ✓")

    static func message(subject: String = "Hello", text: String = "Hi there.", html: String? = "<p>Hi there.</p>") -> MailMessage {
        try! MailMessage(from: from, to: to, subject: subject, textBody: text, htmlBody: html)
    }

    static func client(_ url: String, tls: TLSConfiguration = .makeClientConfiguration(), replyTimeout: TimeAmount = .seconds(10)) throws -> SMTPClient {
        try SMTPClient(
            configuration: SMTPConfiguration(url: url),
            tlsConfiguration: tls,
            connectTimeout: .seconds(5),
            replyTimeout: replyTimeout,
            clientHostname: "client.test"
        )
    }
}

/// Queue logs in tests: errors only (LoggingTests checks the lines themselves).
let quietLogger: Logger = {
    var logger = Logger(label: "snackbase.mail.test")
    logger.logLevel = .critical
    return logger
}()

/// Awaits `queue.waitUntilDrained()` but shuts the queue down after `seconds` so a broken test
/// fails instead of hanging. Returns whether the queue drained by itself.
func drain(_ queue: MailQueue, within seconds: Double) async -> Bool {
    let watchdog = Task {
        try await Task.sleep(for: .seconds(seconds))
        await queue.shutdown()
    }
    await queue.waitUntilDrained()
    let pending = await queue.pendingCount
    watchdog.cancel()
    return pending == 0
}

/// Polls `condition` until true or `seconds` pass.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
