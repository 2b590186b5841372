import Foundation

/// Why an SMTP delivery failed, split the way a retry policy needs it.
///
/// - ``transient(code:text:)``: worth retrying later — a 4xx reply, a refused or dropped connection,
///   a timeout, a TLS failure.
/// - ``permanent(code:text:)``: retrying cannot help — a 5xx reply (bad credentials, unknown
///   recipient, message refused) or a configuration that the client refuses to use (credentials
///   over plaintext to a remote host, STARTTLS required but not offered, no usable AUTH mechanism).
///
/// `code` is the SMTP reply code when there was one. `text` is safe to log: it never contains the
/// password (or its base64 form) nor any part of the message body.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case transient(code: Int?, text: String)
    case permanent(code: Int?, text: String)

    public var code: Int? {
        switch self {
        case .transient(let code, _), .permanent(let code, _): return code
        }
    }

    public var text: String {
        switch self {
        case .transient(_, let text), .permanent(_, let text): return text
        }
    }

    public var isPermanent: Bool {
        if case .permanent = self { return true }
        return false
    }

    public var description: String {
        let kind = isPermanent ? "permanent" : "transient"
        if let code { return "SMTP \(kind) failure (\(code)): \(text)" }
        return "SMTP \(kind) failure: \(text)"
    }

    /// Error for a reply that was not the expected one: 5xx is permanent, anything else transient.
    static func unexpected(_ reply: SMTPReply, during step: String) -> SMTPError {
        let text = "\(step): \(reply.text)"
        return reply.code >= 500 ? .permanent(code: reply.code, text: text) : .transient(code: reply.code, text: text)
    }

    /// The same error with every occurrence of the given secrets replaced by `***`,
    /// control characters flattened and the text capped at 500 characters.
    func redacting(_ secrets: [String]) -> SMTPError {
        var t = text
        for secret in secrets where !secret.isEmpty {
            t = t.replacingOccurrences(of: secret, with: "***")
        }
        t = String(String.UnicodeScalarView(t.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        if t.count > 500 { t = String(t.prefix(500)) + "…" }
        switch self {
        case .transient(let code, _): return .transient(code: code, text: t)
        case .permanent(let code, _): return .permanent(code: code, text: t)
        }
    }
}

