import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import SnackBaseMail
import SnackBaseService
import SnackBaseTesting

/// The aiosmtpd sink of the SnackBaseMail tests (`Tests/SnackBaseMailTests/smtp_sink.py`), run as
/// a child process on loopback, for whole-app tests that follow a mailed link through the API.
final class MailSink: Sendable {
    let port: Int
    let directory: URL
    private let process: Process
    private let stdin: Pipe

    struct Received: Decodable {
        var rcpt_tos: [String]
        var subject: String?
        var text: String?
        var html: String?
    }

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SnackBaseMailTests/smtp_sink.py").path
    }

    private init(port: Int, directory: URL, process: Process, stdin: Pipe) {
        self.port = port
        self.directory = directory
        self.process = process
        self.stdin = stdin
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close().get()
        return port
    }

    /// Starts the sink and waits until it accepts connections; fails (never skips) without aiosmtpd.
    static func start(_ options: [String] = [], port requested: Int? = nil) async throws -> MailSink {
        var port = requested ?? 0
        if requested == nil { port = try await freePort() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-api-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, "--port", "\(port)", "--out", directory.path] + options
        let logPath = directory.appendingPathComponent("sink.stderr").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        let sink = MailSink(port: port, directory: directory, process: process, stdin: stdin)
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("ready").path) {
            if !process.isRunning || ContinuousClock.now > deadline {
                sink.stop()
                throw TestFailure("the SMTP sink (needs `python3 -m pip install aiosmtpd`) did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return sink
    }

    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        // Bounded, not `waitUntilExit()`: when Foundation misses a child's exit that call spins forever
        // on a thread of the cooperative pool (SnackBaseMailTests' sink did so once in CI).
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }

    func messages() throws -> [Received] {
        try (0...).lazy.map { self.directory.appendingPathComponent("msg-\($0).json") }
            .prefix { FileManager.default.fileExists(atPath: $0.path) }
            .map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: $0)) }
    }

    /// One line per notable SMTP outcome (`DATA-451`, …), as the sink logs them.
    func events() -> [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("events.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// What arrives from now on: each database's run of a test sees only its own mails.
    func fromNow() throws -> MailSink.View { View(sink: self, base: try messages().count) }

    struct View: Sendable {
        let sink: MailSink
        let base: Int

        func messages() throws -> [Received] { Array(try sink.messages().dropFirst(base)) }

        func messages(to address: String, atLeast count: Int = 1, within seconds: Int = 60) async throws -> [Received] {
            try await sink.messages(to: address, atLeast: count, within: seconds, after: base)
        }
    }

    /// The messages to `address` (past the first `base`), waiting up to `seconds` until there are at least `count`.
    func messages(to address: String, atLeast count: Int = 1, within seconds: Int = 60, after base: Int = 0) async throws -> [Received] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let found = try messages().dropFirst(base).filter { $0.rcpt_tos.contains(address) }
            if found.count >= count || ContinuousClock.now > deadline { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Mail settings that deliver to this sink (plain SMTP on loopback), with a quick retry.
    func settings(requireVerified: Bool = false, logger: Logger = TestDatabase.logger) -> @Sendable () throws -> MailSettings {
        MailSink.settings(port: port, requireVerified: requireVerified, logger: logger)
    }

    static func settings(port: Int, requireVerified: Bool = false, logger: Logger = TestDatabase.logger) -> @Sendable () throws -> MailSettings {
        {
            let client = try SMTPClient(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(port)"), connectTimeout: .seconds(5),
                                        replyTimeout: .seconds(20), clientHostname: "snackbase.test", logger: logger)
            let queue = MailQueue(transport: SMTPTransport(client: client),
                                  retryPolicy: .init(initialDelay: .milliseconds(200), maxDelay: .seconds(1), maxAttempts: 200), logger: logger)
            return try MailSettings(queue: queue, from: MailAddress("noreply@snackbase.test"), publicURL: "https://app.snackbase.test/",
                                    requireVerifiedEmail: requireVerified)
        }
    }
}

/// The token of the first link in a mail's text.
func linkToken(_ mail: MailSink.Received?) throws -> String {
    guard let text = mail?.text, let range = text.range(of: #"token=[A-Za-z0-9._~%-]+"#, options: .regularExpression) else {
        throw TestFailure("no link with a token in the mail: \(mail?.text ?? "no mail")")
    }
    return String(text[range].dropFirst("token=".count)).removingPercentEncoding ?? ""
}

/// Every log line (message and metadata) of the loggers it makes, at every level.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "log-capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let line = "\(event.level) \(event.message) \(merged)"
            capture.lines.withLock { $0.append(line) }
        }
    }
}
