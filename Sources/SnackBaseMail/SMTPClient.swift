import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Sends one ``MailMessage`` per call over a fresh SMTP connection (RFC 5321), with SwiftNIO.
///
/// The conversation: 220 greeting → `EHLO` (falls back to `HELO` on a 5xx) → for `smtp://`, when
/// the server offers it, `STARTTLS`, TLS handshake, `EHLO` again → `AUTH PLAIN` (or `AUTH LOGIN`
/// when only that is offered) if the configuration has credentials → `MAIL FROM` → `RCPT TO` for
/// each recipient → `DATA` with dot-stuffing → `QUIT`. For `smtps://` TLS starts before the greeting.
///
/// Security rules:
/// - **Credentials are never sent over an unencrypted connection unless the peer is a loopback
///   address** (127.0.0.0/8, ::1): a remote server that does not offer STARTTLS gets a
///   `.permanent` error instead of the password. Sending *without* credentials over plaintext is
///   allowed (opportunistic TLS), unless the URL says `?starttls=required`.
/// - TLS uses the given `TLSConfiguration` — by default the system trust store with full
///   certificate and hostname verification. Tests pass one that trusts a self-signed root.
/// - Plaintext the server pipelines after its `220` to `STARTTLS` aborts the session.
/// - No error text contains the password (or its base64 encodings) or the message body.
///
/// Every reply has a deadline (`replyTimeout`); connecting has `connectTimeout`. Once the server
/// has answered `250` to the end of `DATA`, the mail counts as delivered whatever happens after.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    public let connectTimeout: TimeAmount
    public let replyTimeout: TimeAmount
    private let sslContext: NIOSSLContext
    private let group: any EventLoopGroup
    private let clientHostname: String
    private let logger: Logger

    /// - Parameters:
    ///   - tlsConfiguration: used for STARTTLS and `smtps://`; defaults to the system trust store
    ///     with hostname verification.
    ///   - clientHostname: the name sent in `EHLO`; defaults to this machine's host name.
    public init(
        configuration: SMTPConfiguration,
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: TimeAmount = .seconds(10),
        replyTimeout: TimeAmount = .seconds(60),
        clientHostname: String? = nil,
        logger: Logger = Logger(label: "snackbase.mail.smtp")
    ) throws(SMTPError) {
        self.configuration = configuration
        do {
            self.sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw .permanent(code: nil, text: "invalid TLS configuration: \(error)")
        }
        self.group = eventLoopGroup
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        self.clientHostname = Self.ehloName(clientHostname ?? ProcessInfo.processInfo.hostName)
        self.logger = logger
    }

    /// Delivers `message` to all its recipients, or throws an ``SMTPError``.
    public func send(_ message: MailMessage) async throws(SMTPError) {
        do {
            try await deliver(message)
        } catch let error as SMTPError {
            throw error.redacting(secrets)
        } catch {
            throw SMTPError.transient(code: nil, text: "connection failed: \(error)").redacting(secrets)
        }
    }

    /// The strings no error text may contain.
    private var secrets: [String] {
        guard let password = configuration.password, !password.isEmpty else { return [] }
        let user = configuration.username ?? ""
        return [
            password,
            MIMEEncoding.base64(Array(password.utf8)),
            MIMEEncoding.base64([0] + Array(user.utf8) + [0] + Array(password.utf8)),
        ]
    }

    // MARK: - Connection

    private func deliver(_ message: MailMessage) async throws {
        let config = configuration
        let sslContext = sslContext
        let sni = Self.sniName(config.host)
        let asyncChannel: NIOAsyncChannel<SMTPReply, ByteBuffer>
        do {
            asyncChannel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .connect(host: config.host, port: config.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if config.security == .implicitTLS {
                            let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: sni)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.transient(code: nil, text: "cannot connect to \(config.host):\(config.port): \(error)")
        }
        logger.debug("smtp connected", metadata: ["smtp.host": "\(config.host)", "smtp.port": "\(config.port)"])

        var delivered = false
        do {
            try await asyncChannel.executeThenClose { inbound, outbound in
                var conversation = Conversation(
                    channel: asyncChannel.channel,
                    iterator: inbound.makeAsyncIterator(),
                    outbound: outbound,
                    replyTimeout: replyTimeout
                )
                try await run(&conversation, message: message, sslContext: sslContext, sni: sni, delivered: &delivered)
            }
        } catch {
            if delivered { return }  // accepted by the server; a hiccup during QUIT does not matter
            throw error
        }
    }

    private func run(
        _ c: inout Conversation, message: MailMessage, sslContext: NIOSSLContext, sni: String?, delivered: inout Bool
    ) async throws {
        let config = configuration
        var encrypted = config.security == .implicitTLS

        let greeting = try await c.readReply()
        guard greeting.code == 220 else { throw SMTPError.unexpected(greeting, during: "greeting") }

        var capabilities = try await ehlo(&c)

        if !encrypted {
            if capabilities.startTLS {
                let reply = try await c.command("STARTTLS")
                guard reply.code == 220 else { throw SMTPError.unexpected(reply, during: "STARTTLS") }
                guard !reply.hadBufferedBytesAfter else {
                    throw SMTPError.permanent(code: nil, text: "server sent data after agreeing to STARTTLS; refusing to continue")
                }
                let channel = c.channel
                try await channel.eventLoop.submit {
                    let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: sni)
                    try channel.pipeline.syncOperations.addHandler(tls, position: .first)
                }.get()
                encrypted = true
                logger.debug("smtp starttls", metadata: ["smtp.host": "\(config.host)"])
                capabilities = try await ehlo(&c)
            } else if config.security == .startTLSRequired {
                throw SMTPError.permanent(code: nil, text: "server does not offer STARTTLS, which the configuration requires")
            }
        }

        if let user = config.username {
            guard encrypted || Self.isLoopback(c.channel.remoteAddress) else {
                throw SMTPError.permanent(
                    code: nil,
                    text: "refusing to send credentials over an unencrypted connection to a non-loopback host (server offers no STARTTLS)"
                )
            }
            try await authenticate(&c, user: user, password: config.password ?? "", capabilities: capabilities)
        }

        let mailFrom = try await c.command("MAIL FROM:<\(message.from.address)>")
        guard mailFrom.code == 250 else { throw SMTPError.unexpected(mailFrom, during: "MAIL FROM") }
        for recipient in message.to {
            let rcpt = try await c.command("RCPT TO:<\(recipient.address)>")
            guard rcpt.code == 250 || rcpt.code == 251 else {
                throw SMTPError.unexpected(rcpt, during: "RCPT TO (domain \(recipient.domain))")
            }
        }
        let data = try await c.command("DATA")
        guard data.code == 354 else { throw SMTPError.unexpected(data, during: "DATA") }
        try await c.write(Self.dotStuffed(message.rendered()))
        let accepted = try await c.readReply()
        guard accepted.code == 250 else { throw SMTPError.unexpected(accepted, during: "end of DATA") }
        delivered = true
        logger.debug("smtp accepted", metadata: ["smtp.code": "\(accepted.code)"])

        _ = try? await c.command("QUIT")
    }

    private struct Capabilities {
        var startTLS = false
        var authMechanisms: Set<String> = []
    }

    private func ehlo(_ c: inout Conversation) async throws -> Capabilities {
        let reply = try await c.command("EHLO \(clientHostname)")
        if reply.code >= 500 {
            let helo = try await c.command("HELO \(clientHostname)")
            guard helo.code == 250 else { throw SMTPError.unexpected(helo, during: "HELO") }
            return Capabilities()
        }
        guard reply.code == 250 else { throw SMTPError.unexpected(reply, during: "EHLO") }
        var caps = Capabilities()
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" })
            guard let keyword = words.first else { continue }
            if keyword == "STARTTLS" { caps.startTLS = true }
            if keyword == "AUTH" { caps.authMechanisms.formUnion(words.dropFirst().map(String.init)) }
        }
        return caps
    }

    private func authenticate(_ c: inout Conversation, user: String, password: String, capabilities: Capabilities) async throws {
        if capabilities.authMechanisms.contains("PLAIN") {
            let token = MIMEEncoding.base64([0] + Array(user.utf8) + [0] + Array(password.utf8))
            var reply = try await c.command("AUTH PLAIN \(token)")
            if reply.code == 334 { reply = try await c.command(token) }
            guard reply.code == 235 else { throw SMTPError.unexpected(reply, during: "authentication (AUTH PLAIN) failed") }
        } else if capabilities.authMechanisms.contains("LOGIN") {
            var reply = try await c.command("AUTH LOGIN")
            guard reply.code == 334 else { throw SMTPError.unexpected(reply, during: "AUTH LOGIN") }
            reply = try await c.command(MIMEEncoding.base64(Array(user.utf8)))
            guard reply.code == 334 else { throw SMTPError.unexpected(reply, during: "authentication (AUTH LOGIN) failed") }
            reply = try await c.command(MIMEEncoding.base64(Array(password.utf8)))
            guard reply.code == 235 else { throw SMTPError.unexpected(reply, during: "authentication (AUTH LOGIN) failed") }
        } else if capabilities.authMechanisms.isEmpty {
            throw SMTPError.permanent(code: nil, text: "credentials are configured but the server offers no AUTH")
        } else {
            throw SMTPError.permanent(code: nil, text: "the server offers no supported AUTH mechanism (PLAIN or LOGIN)")
        }
    }

    // MARK: - Helpers

    /// The message with SMTP transparency applied (RFC 5321 §4.5.2): every line that starts with
    /// `.` gets a second `.`; then the `CRLF . CRLF` terminator.
    static func dotStuffed(_ rendered: String) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(rendered.utf8.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for b in rendered.utf8 {
            if atLineStart && b == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            out.writeInteger(b)
            atLineStart = previous == 13 && b == 10
            previous = b
        }
        if !atLineStart { out.writeString("\r\n") }
        out.writeString(".\r\n")
        return out
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.lowercased().hasPrefix("::ffff:127.")
    }

    /// SNI/hostname to verify: `nil` for IP literals (NIOSSL then checks the IP SAN against the peer).
    static func sniName(_ host: String) -> String? {
        let isIPv4 = host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        return isIPv4 || host.contains(":") ? nil : host
    }

    private static func ehloName(_ name: String) -> String {
        let ok = !name.isEmpty && name.count <= 253 && name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "."
        }
        return ok ? name : "localhost"
    }
}

/// One connection's request/reply state: writes lines, reads replies with a deadline each.
private struct Conversation {
    let channel: any Channel
    var iterator: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let replyTimeout: TimeAmount

    mutating func command(_ line: String) async throws -> SMTPReply {
        try await write(ByteBuffer(string: line + "\r\n"))
        return try await readReply()
    }

    func write(_ buffer: ByteBuffer) async throws {
        do {
            try await outbound.write(buffer)
        } catch {
            throw SMTPError.transient(code: nil, text: "connection lost while sending: \(error)")
        }
    }

    /// The next reply; the connection is closed when `replyTimeout` passes without one.
    mutating func readReply() async throws -> SMTPReply {
        let deadline = NIODeadline.now() + replyTimeout
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        defer { timer.cancel() }
        let reply: SMTPReply?
        do {
            reply = try await iterator.next()
        } catch let error as SMTPError {
            throw error
        } catch {
            if NIODeadline.now() >= deadline { throw Self.timeout(replyTimeout) }
            throw SMTPError.transient(code: nil, text: "connection failed: \(error)")
        }
        guard let reply else {
            if NIODeadline.now() >= deadline { throw Self.timeout(replyTimeout) }
            throw SMTPError.transient(code: nil, text: "connection closed by the server")
        }
        return reply
    }

    static func timeout(_ t: TimeAmount) -> SMTPError {
        .transient(code: nil, text: "no reply from the server within \(Double(t.nanoseconds) / 1e9) s")
    }
}
