/// Something that can hand one mail over for delivery.
///
/// Implementations: ``SMTPTransport`` (production, `SNACKBASE_SMTP_URL`) and ``FileMailTransport``
/// (`--dev` without an SMTP URL: one `.eml` file per mail). ``MailQueue`` owns one and calls it
/// from its background loop, so request handlers never wait for delivery.
///
/// Throw ``SMTPError/permanent(code:text:)`` for failures that retrying cannot fix; every other
/// error is treated as transient and retried with back-off.
public protocol MailTransport: Sendable {
    func send(_ message: MailMessage) async throws
}
