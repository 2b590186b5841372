import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import SnackBaseMail

/// Collects every log line (message and metadata) so tests can check what reached the log.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let error = event.error.map { " error=\($0)" } ?? ""
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(rendered)\(error)") }
    }
}

@Suite struct LoggingTests {
    @Test func secretsNeverReachTheLog() async throws {
        let sink = try await SMTPSink.start(["--auth-user", "mailer", "--auth-password", "right"])
        defer { sink.stop() }
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        let password = "Hunter2-Pa55"
        let client = try SMTPClient(
            configuration: SMTPConfiguration(url: "smtp://mailer:\(password)@127.0.0.1:\(sink.port)"),
            clientHostname: "client.test", logger: logger)
        let queue = MailQueue(transport: SMTPTransport(client: client), retryPolicy: fastRetry, logger: logger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        let token = "RESET_TOKEN_9f8e7d"
        await queue.enqueue(Fixtures.message(
            subject: "Reset your password",
            text: "Reset: https://app.example/reset?token=\(token)",
            html: "<a href=\"https://app.example/reset?token=\(token)\">reset</a>"))
        #expect(await drain(queue, within: 20))
        #expect(await queue.statistics.permanentFailures == 1)

        let log = lines.withLockedValue { $0 }
        #expect(!log.isEmpty)
        for line in log {
            #expect(!line.contains(password), "\(line)")
            #expect(!line.contains(MIMEEncoding.base64(Array("\0mailer\0\(password)".utf8))), "\(line)")
            #expect(!line.contains(token), "\(line)")
            #expect(!line.contains("app.example/reset"), "\(line)")
        }
        let failure = try #require(log.first { $0.contains("permanent failure") })
        #expect(failure.contains("mail.to_domain=example.com"))
        #expect(failure.contains("smtp.code=535"))
    }
}
