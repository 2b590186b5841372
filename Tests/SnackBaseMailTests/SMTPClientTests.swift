import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import SnackBaseMail

/// Against a real SMTP server (aiosmtpd) on loopback.
@Suite struct SMTPClientTests {
    static let subject = "Bestätigen Sie Ihre E-Mail ✓"

    @Test func plainSendRoundTrips() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let longLine = String(repeating: "Grüße, naïve café — 日本語 ✓ ", count: 20)
        let text = """
        Hallo Jürgen,
        .this line starts with a dot
        ..and this with two
        .
        \(longLine)
        Ende.
        """
        let html = """
        <html><body>
        <p>Hallo Jürgen, bitte <a href="https://app.example/verify?token=abc=def">bestätigen</a> ✓</p>
        .dot at start of an HTML line
        <p>\(longLine)</p>
        </body></html>
        """
        let to2 = try MailAddress("bob@example.org")
        let message = try MailMessage(from: Fixtures.from, to: [Fixtures.to, to2], subject: Self.subject, textBody: text, htmlBody: html)
        try await Fixtures.client("smtp://127.0.0.1:\(sink.port)").send(message)

        let received = try sink.messages()
        try #require(received.count == 1)
        let mail = received[0]
        #expect(mail.subject == Self.subject)
        #expect(mail.text == text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(mail.html == html.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(mail.mail_from == "noreply@snackbase.example")
        #expect(mail.rcpt_tos == ["alice@example.com", "bob@example.org"])
        #expect(mail.to == "Jürgen Müller ✓ <alice@example.com>, bob@example.org")
        #expect(mail.from == "SnackBase <noreply@snackbase.example>")
        #expect(mail.content_type == "multipart/alternative")
        #expect(mail.mime_version == "1.0")
        #expect(mail.message_id == message.messageID)
        #expect(mail.date != nil)
        #expect(mail.defects.isEmpty, "\(mail.defects)")
        #expect(!mail.tls && !mail.authenticated)

        let raw = try sink.rawMessage(0)
        #expect(raw.allSatisfy { $0 < 128 }, "7-bit on the wire")
        let rawText = String(decoding: raw, as: UTF8.self)
        #expect(!rawText.contains("\n\n") && !rawText.contains("\r\r"))
        for line in rawText.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
    }

    @Test func startTLSWithAuthPlain() async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start([
            "--cert", cert.certPath, "--key", cert.keyPath, "--starttls", "--require-starttls",
            "--auth-user", "mailer", "--auth-password", "s3cret:p@ss", "--auth-require-tls",
        ])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://mailer:s3cret%3Ap%40ss@localhost:\(sink.port)", tls: cert.clientTLS())
        try await client.send(Fixtures.message(subject: Self.subject))
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].tls && received[0].authenticated)
        #expect(received[0].subject == Self.subject)
        #expect(sink.events().contains("AUTH-PLAIN-OK"))
    }

    @Test func startTLSWithAuthLoginOnly() async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start([
            "--cert", cert.certPath, "--key", cert.keyPath, "--starttls",
            "--auth-user", "mailer", "--auth-password", "pw", "--auth-only-login", "--auth-require-tls",
        ])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://mailer:pw@localhost:\(sink.port)", tls: cert.clientTLS())
        try await client.send(Fixtures.message())
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].tls && received[0].authenticated)
        #expect(sink.events().contains("AUTH-LOGIN-OK"))
        #expect(!sink.events().contains { $0.hasPrefix("AUTH-PLAIN") })
    }

    @Test(arguments: [false, true])
    func wrongPasswordIsPermanentAndNotEchoed(loginOnly: Bool) async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start([
            "--cert", cert.certPath, "--key", cert.keyPath, "--starttls",
            "--auth-user", "mailer", "--auth-password", "right", "--auth-require-tls",
        ] + (loginOnly ? ["--auth-only-login"] : []))
        defer { sink.stop() }
        let password = "Wr0ngHunter2!"
        let client = try Fixtures.client("smtp://mailer:\(password)@localhost:\(sink.port)", tls: cert.clientTLS())
        let error = try #require(await sendError(client, Fixtures.message()), "a wrong password must fail")
        #expect(error.isPermanent)
        #expect(error.code == 535)
        let text = "\(error) \(error.text)"
        #expect(!text.contains(password))
        #expect(!text.contains(MIMEEncoding.base64(Array(password.utf8))))
        #expect(!text.contains(MIMEEncoding.base64(Array("\0mailer\0\(password)".utf8))))
        #expect(try sink.messages().isEmpty)
        #expect(sink.events().contains { $0.hasSuffix("-FAIL") })
    }

    @Test func implicitTLS() async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start([
            // aiosmtpd does not count implicit TLS for auth_require_tls, so that flag stays off here.
            "--cert", cert.certPath, "--key", cert.keyPath, "--implicit-tls",
            "--auth-user", "mailer", "--auth-password", "pw",
        ])
        defer { sink.stop() }
        // An IP literal: no SNI, the certificate's IP SAN is checked against the peer address.
        let client = try Fixtures.client("smtps://mailer:pw@127.0.0.1:\(sink.port)", tls: cert.clientTLS())
        try await client.send(Fixtures.message(subject: Self.subject))
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].tls && received[0].authenticated && received[0].subject == Self.subject)
    }

    @Test func untrustedCertificateIsRefusedBeforeCredentials() async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start([
            "--cert", cert.certPath, "--key", cert.keyPath, "--starttls",
            "--auth-user", "mailer", "--auth-password", "pw", "--auth-require-tls",
        ])
        defer { sink.stop() }
        // Default configuration: system trust store, which does not know the self-signed cert.
        let client = try Fixtures.client("smtp://mailer:pw@localhost:\(sink.port)")
        await #expect(throws: SMTPError.self) { try await client.send(Fixtures.message()) }
        #expect(!sink.events().contains { $0.hasPrefix("AUTH") })
        #expect(try sink.messages().isEmpty)
    }

    @Test func wrongHostnameIsRefused() async throws {
        let cert = try TestCertificate.get()
        let sink = try await SMTPSink.start(["--cert", cert.certPath, "--key", cert.keyPath, "--implicit-tls"])
        defer { sink.stop() }
        // Trusted root, but the certificate is for localhost/127.0.0.1, not 127.0.0.2.
        let other = try await SMTPSink.start([])
        defer { other.stop() }
        var tls = try cert.clientTLS()
        tls.certificateVerification = .fullVerification
        let client = try SMTPClient(
            configuration: SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .implicitTLS),
            tlsConfiguration: tls, clientHostname: "client.test")
        try await client.send(Fixtures.message())  // control: IP SAN matches
        let wrong = try SMTPClient(
            configuration: SMTPConfiguration(host: "localhost.localdomain.invalid", port: sink.port, security: .implicitTLS),
            tlsConfiguration: tls, connectTimeout: .seconds(2), clientHostname: "client.test")
        await #expect(throws: SMTPError.self) { try await wrong.send(Fixtures.message()) }
        #expect(try sink.messages().count == 1)
    }

    @Test func plaintextAuthIsAllowedOnLoopback() async throws {
        let sink = try await SMTPSink.start(["--auth-user", "mailer", "--auth-password", "pw"])
        defer { sink.stop() }
        try await Fixtures.client("smtp://mailer:pw@127.0.0.1:\(sink.port)").send(Fixtures.message())
        let received = try sink.messages()
        try #require(received.count == 1)
        #expect(received[0].authenticated && !received[0].tls)
    }

    @Test func startTLSRequiredButNotOffered() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://127.0.0.1:\(sink.port)?starttls=required")
        let error = try #require(await sendError(client, Fixtures.message()), "must refuse")
        #expect(error.isPermanent)
        #expect(error.text.contains("STARTTLS"))
        #expect(try sink.messages().isEmpty)
    }

    @Test func headerInjectionIsNeutralisedOnTheWire() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let to = try MailAddress("alice@example.com", displayName: "Alice\r\nBcc: victim@evil.example")
        let message = try MailMessage(
            from: Fixtures.from, to: [to],
            subject: "Hi\r\nBcc: victim@evil.example\r\n\r\nInjected body", textBody: "real body")
        try await Fixtures.client("smtp://127.0.0.1:\(sink.port)").send(message)
        let received = try sink.messages()
        try #require(received.count == 1)
        let mail = received[0]
        #expect(mail.rcpt_tos == ["alice@example.com"])
        #expect(!mail.header_names.contains { $0.lowercased() == "bcc" })
        #expect(mail.subject == "Hi  Bcc: victim@evil.example    Injected body")
        #expect(mail.text == "real body\r\n")
        #expect(throws: MailAddressError.self) { _ = try MailAddress("alice@example.com\r\nRCPT TO:<victim@evil.example>") }
    }

    @Test func transient451OnRecipient() async throws {
        let sink = try await SMTPSink.start(["--fail-rcpt", "1"])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://127.0.0.1:\(sink.port)")
        await #expect(throws: SMTPError.transient(code: 451, text: "RCPT TO (domain example.com): 4.3.0 Try again later")) {
            try await client.send(Fixtures.message())
        }
        try await client.send(Fixtures.message())
        #expect(try sink.messages().count == 1)
    }

    @Test func connectionRefusedIsTransient() async throws {
        let port = try await freePort()
        let client = try Fixtures.client("smtp://127.0.0.1:\(port)")
        let error = try #require(await sendError(client, Fixtures.message()), "must fail")
        #expect(!error.isPermanent && error.code == nil)
    }

    @Test func plaintextPipelinedAfterSTARTTLSIsRefused() async throws {
        // A fake server that answers STARTTLS with "220" plus an injected plaintext reply in the same packet.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptedSMTPServer())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let client = try Fixtures.client("smtp://127.0.0.1:\(port)")
        let error = try #require(await sendError(client, Fixtures.message()), "must refuse")
        #expect(error.isPermanent)
        #expect(error.text.contains("after agreeing to STARTTLS"))
    }

    @Test func silentServerTimesOut() async throws {
        // Accepts connections and never says anything.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let client = try Fixtures.client("smtp://127.0.0.1:\(port)", replyTimeout: .milliseconds(300))
        // The server accepts and never answers: the reply deadline is what ends the attempt ("no reply").
        let error = try #require(await sendError(client, Fixtures.message()), "must time out")
        #expect(!error.isPermanent)
        #expect(error.text.contains("no reply"))
    }
}

/// The error `send` throws, or nil when it succeeded.
func sendError(_ client: SMTPClient, _ message: MailMessage) async -> SMTPError? {
    do {
        try await client.send(message)
        return nil
    } catch {
        return error
    }
}

/// Greets, offers STARTTLS, then answers STARTTLS with "220" and a pipelined plaintext "250".
final class ScriptedSMTPServer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var buffered = ""

    func channelActive(context: ChannelHandlerContext) {
        send("220 scripted ESMTP\r\n", context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        buffered += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = buffered.range(of: "\r\n") {
            let line = buffered[..<end.lowerBound].uppercased()
            buffered.removeSubrange(..<end.upperBound)
            if line.hasPrefix("EHLO") {
                send("250-scripted\r\n250 STARTTLS\r\n", context)
            } else if line == "STARTTLS" {
                send("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n", context)
            } else {
                send("500 unexpected\r\n", context)
            }
        }
    }

    private func send(_ text: String, _ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
    }
}
