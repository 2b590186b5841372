import Foundation

/// One mailbox: an ASCII `local@domain` address and an optional display name.
///
/// Addresses are validated strictly because they go into both SMTP commands (`MAIL FROM:<…>`,
/// `RCPT TO:<…>`) and message headers: CR, LF, other control characters, spaces, `<`, `>`, `,`,
/// quotes and the other RFC 5322 specials are refused, which makes command and header injection
/// through an address impossible. Internationalised (non-ASCII) addresses are refused too, since
/// the client does not negotiate SMTPUTF8. The display name may be any text: control characters
/// (CR/LF included) are replaced by spaces and non-ASCII is RFC 2047 encoded when rendered.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    public init(_ address: String, displayName: String? = nil) throws(MailAddressError) {
        guard Self.isValid(address) else { throw MailAddressError() }
        self.address = address
        if let displayName {
            let cleaned = MIMEEncoding.neutralizeHeaderText(displayName)
            self.displayName = cleaned.isEmpty ? nil : cleaned
        } else {
            self.displayName = nil
        }
    }

    /// Parses `addr@example.com`, `<addr@example.com>` or `Display Name <addr@example.com>`
    /// (the name optionally in double quotes) — the forms `SNACKBASE_MAIL_FROM` may take.
    public init(parsing text: String) throws(MailAddressError) {
        let trimmed = text.trimmingSpaces()
        guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else {
            try self.init(trimmed)
            return
        }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        var name = String(trimmed[..<open]).trimmingSpaces()
        guard !name.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) else { throw MailAddressError() }
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        try self.init(address, displayName: name.isEmpty ? nil : name)
    }

    /// The domain part, lowercased: what logs may show about a recipient.
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }

    public var description: String { address }

    /// The header form: `addr@example.com` or `"Name" <addr@example.com>` (encoded-word names for non-ASCII).
    var headerValue: String {
        guard let displayName else { return address }
        if displayName.unicodeScalars.allSatisfy({ $0.isASCII }) && !displayName.contains("=?") {
            var quoted = "\""
            for ch in displayName {
                if ch == "\"" || ch == "\\" { quoted.append("\\") }
                quoted.append(ch)
            }
            quoted += "\""
            return "\(quoted) <\(address)>"
        }
        // Folded so that no line exceeds 78 characters: one encoded-word a line, then the address.
        return MIMEEncoding.encodedWords(displayName).joined(separator: "\r\n ") + "\r\n <\(address)>"
    }

    static func isValid(_ address: String) -> Bool {
        guard address.utf8.count <= 254 else { return false }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return false }
        // dot-atom local part (RFC 5322 atext plus dots, no leading/trailing/double dot)
        let atextSpecials = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)
        for s in local.unicodeScalars {
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "." || atextSpecials.contains(s)
            if !ok { return false }
        }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return false }
        // domain: LDH labels
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
            for s in label.unicodeScalars {
                let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-"
                if !ok { return false }
            }
        }
        return true
    }
}

/// An address that is not a plain `local@domain` (or contains characters that could inject headers
/// or SMTP commands). Deliberately does not echo the input.
public struct MailAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String { "invalid e-mail address" }
}
