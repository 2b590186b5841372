/// Where and how to deliver outgoing mail over SMTP, parsed from `SNACKBASE_SMTP_URL`.
///
/// Accepted forms:
/// - `smtp://[user[:password]@]host[:port][?starttls=required]` — plaintext connect, upgraded with
///   STARTTLS whenever the server offers it (or always, failing otherwise, with `starttls=required`).
///   Default port 587.
/// - `smtps://[user[:password]@]host[:port]` — TLS from the first byte ("implicit TLS"). Default port 465.
///
/// User and password are percent-decoded, so a password containing `@`, `:` or `/` must be written
/// percent-encoded (`%40`, `%3A`, `%2F`). IPv6 hosts are written in brackets (`smtp://[::1]:2525`).
///
/// The password is a secret: ``description`` redacts it, and no ``SMTPConfigurationError`` ever quotes
/// any part of the URL (a malformed URL may have the password where the host or port should be).
public struct SMTPConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is secured.
    public enum Security: Sendable, Equatable {
        /// `smtp://`: STARTTLS when the server offers it; plaintext otherwise.
        case startTLSIfAvailable
        /// `smtp://…?starttls=required`: STARTTLS or no delivery at all.
        case startTLSRequired
        /// `smtps://`: TLS from the start.
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var security: Security

    public init(host: String, port: Int? = nil, username: String? = nil, password: String? = nil, security: Security = .startTLSIfAvailable) {
        self.host = host
        self.port = port ?? (security == .implicitTLS ? 465 : 587)
        self.username = username
        self.password = password
        self.security = security
    }

    /// Parses an `smtp://` or `smtps://` URL.
    public init(url: String) throws(SMTPConfigurationError) {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw SMTPConfigurationError("the SMTP URL must start with smtp:// or smtps://")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var security: Security
        switch scheme {
        case "smtp": security = .startTLSIfAvailable
        case "smtps": security = .implicitTLS
        default: throw SMTPConfigurationError("the SMTP URL scheme must be smtp or smtps")
        }
        var rest = Substring(url[schemeEnd.upperBound...])

        // Query (only `starttls=` is understood).
        if let q = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: q)...]
            rest = rest[..<q]
            for item in query.split(separator: "&", omittingEmptySubsequences: true) {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = pair[0].lowercased()
                let value = pair.count > 1 ? pair[1].lowercased() : ""
                guard key == "starttls" else {
                    throw SMTPConfigurationError("the SMTP URL has an unknown query parameter (only starttls= is supported)")
                }
                guard security != .implicitTLS else {
                    throw SMTPConfigurationError("starttls= cannot be combined with smtps://")
                }
                switch value {
                case "required", "always": security = .startTLSRequired
                case "auto", "opportunistic", "": security = .startTLSIfAvailable
                default: throw SMTPConfigurationError("starttls= must be required or auto")
                }
            }
        }

        // User info: everything before the last "@" (an unencoded "@" in a password still works).
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = Self.percentDecode(parts[0]), !user.isEmpty else {
                throw SMTPConfigurationError("the SMTP URL has an empty or badly percent-encoded user name")
            }
            username = user
            if parts.count > 1 {
                guard let pass = Self.percentDecode(parts[1]) else {
                    throw SMTPConfigurationError("the SMTP URL has a badly percent-encoded password")
                }
                password = pass
            }
        }

        // Path: only empty or "/" is allowed.
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else {
                throw SMTPConfigurationError("the SMTP URL must not have a path")
            }
            rest = rest[..<slash]
        }

        // Host and port.
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw SMTPConfigurationError("the SMTP URL has an unterminated IPv6 address")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw SMTPConfigurationError("the SMTP URL has junk after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw SMTPConfigurationError("the SMTP URL has no host") }
        guard host.unicodeScalars.allSatisfy({ Self.isHostScalar($0) }) else {
            throw SMTPConfigurationError("the SMTP URL host has characters that are not allowed in a host name")
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let p = Int(portText), (1...65535).contains(p) else {
                throw SMTPConfigurationError("the SMTP URL port must be a number from 1 to 65535")
            }
            port = p
        }
        self.init(host: String(host).lowercased(), port: port, username: username, password: password, security: security)
    }

    /// The URL again, with the password replaced by `***`. Safe to log.
    public var description: String {
        var s = security == .implicitTLS ? "smtps://" : "smtp://"
        if let username {
            s += Self.percentEncode(username)
            if password != nil { s += ":***" }
            s += "@"
        }
        s += host.contains(":") ? "[\(host)]" : host
        s += ":\(port)"
        if security == .startTLSRequired { s += "?starttls=required" }
        return s
    }

    // MARK: - Helpers

    private static func isHostScalar(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", ":", "_": return true
        default: return false
        }
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = text.utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return Array(text.utf8) == bytes ? text : nil
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func percentEncode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }
}

/// A malformed `SNACKBASE_SMTP_URL`. The message says what is wrong but never quotes the URL,
/// so a password cannot leak through it.
public struct SMTPConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "invalid SNACKBASE_SMTP_URL: \(reason)" }
}
