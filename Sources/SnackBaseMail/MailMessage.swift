import struct Foundation.Date

/// One outgoing e-mail: sender, one or more recipients, a subject, a plain-text body and an
/// optional HTML body.
///
/// ``rendered(date:)`` produces the RFC 5322 / MIME text that goes on the wire (and into `.eml`
/// files): 7-bit ASCII only, CRLF line endings, `multipart/alternative` (text/plain then text/html,
/// both UTF-8 quoted-printable) when there is an HTML body, RFC 2047 encoded-words for a non-ASCII
/// subject or display name. Header injection is impossible by construction: addresses are validated
/// by ``MailAddress`` and the subject's control characters (CR/LF included) are replaced by spaces.
///
/// The bodies can hold secrets (reset links, tokens); nothing in this package logs them or puts
/// them into an error.
public struct MailMessage: Sendable, Equatable {
    public let from: MailAddress
    public let to: [MailAddress]
    public let subject: String
    public let textBody: String
    public let htmlBody: String?
    /// `<random@from-domain>`, fixed at creation so every retry carries the same ID.
    public let messageID: String

    public init(from: MailAddress, to: [MailAddress], subject: String, textBody: String, htmlBody: String? = nil) throws(MailMessageError) {
        guard !to.isEmpty else { throw MailMessageError.noRecipients }
        self.from = from
        self.to = to
        self.subject = MIMEEncoding.neutralizeHeaderText(subject)
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.messageID = "<\(MIMEEncoding.randomHex(byteCount: 16))@\(from.domain)>"
    }

    /// Convenience: one recipient.
    public init(from: MailAddress, to: MailAddress, subject: String, textBody: String, htmlBody: String? = nil) throws(MailMessageError) {
        try self.init(from: from, to: [to], subject: subject, textBody: textBody, htmlBody: htmlBody)
    }

    /// The full message, RFC 5322 + MIME, CRLF line endings, ending in CRLF.
    public func rendered(date: Date = Date()) -> String {
        var headers: [String] = []
        headers.append("Date: " + MIMEEncoding.rfc5322Date(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down))))
        headers.append("From: " + from.headerValue)
        headers.append("To: " + to.map(\.headerValue).joined(separator: ",\r\n "))
        headers.append("Subject: " + MIMEEncoding.headerText(subject))
        headers.append("Message-ID: " + messageID)
        headers.append("MIME-Version: 1.0")

        var out = ""
        func part(_ contentType: String, _ body: String) -> String {
            "Content-Type: \(contentType); charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + MIMEEncoding.quotedPrintable(body)
        }
        if let htmlBody {
            let boundary = "=_SnackBase_" + MIMEEncoding.randomHex(byteCount: 12)
            headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            out = headers.joined(separator: "\r\n") + "\r\n\r\n"
            out += "This is a multi-part message in MIME format.\r\n"
            out += "\r\n--\(boundary)\r\n" + part("text/plain", textBody)
            out += "\r\n--\(boundary)\r\n" + part("text/html", htmlBody)
            out += "\r\n--\(boundary)--\r\n"
        } else {
            out = headers.joined(separator: "\r\n") + "\r\n" + part("text/plain", textBody) + "\r\n"
        }
        return out
    }
}

/// A message that cannot be built.
public enum MailMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    case noRecipients
    public var description: String { "a mail needs at least one recipient" }
}
