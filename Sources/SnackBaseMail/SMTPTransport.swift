/// ``MailTransport`` that delivers through an SMTP server with ``SMTPClient``, one connection per mail.
public struct SMTPTransport: MailTransport {
    public let client: SMTPClient

    public init(client: SMTPClient) {
        self.client = client
    }

    public func send(_ message: MailMessage) async throws {
        try await client.send(message)
    }
}
