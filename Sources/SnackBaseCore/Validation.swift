/// Input rules shared by the API and the command line.
public enum Validation {
    /// Slug: 3–32 of `a-z0-9-`, starting with a letter.
    public static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (3...32).contains(bytes.count), (97...122).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    /// A slug derived from an account name: lower-cased, runs of other characters become `-`.
    public static func slug(fromName name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, out.last != "-" {
                out.append("-")
            }
        }
        while out.last == "-" { out.removeLast() }
        while let first = out.first, !first.isLetter { out.removeFirst() }
        if out.count > 32 {
            out = String(out.prefix(32))
            while out.last == "-" { out.removeLast() }
        }
        while out.count < 3 { out.append("x") }
        return out
    }

    /// Problems with a password under the policy: at least 12 characters with upper, lower,
    /// digit and special character. Empty when it is acceptable.
    public static func passwordProblems(_ password: String) -> [String] {
        var problems: [String] = []
        if password.count < 12 { problems.append("must be at least 12 characters") }
        if password.count > 1024 { problems.append("must be at most 1024 characters") }
        if !password.contains(where: \.isUppercase) { problems.append("must contain an upper-case letter") }
        if !password.contains(where: \.isLowercase) { problems.append("must contain a lower-case letter") }
        if !password.contains(where: \.isNumber) { problems.append("must contain a digit") }
        if !password.contains(where: { !$0.isLetter && !$0.isNumber && !$0.isWhitespace }) {
            problems.append("must contain a special character")
        }
        return problems
    }

    /// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces.
    public static func isValidEmail(_ email: String) -> Bool {
        guard email.utf8.count <= 254, !email.contains(where: \.isWhitespace) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 3 else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }

    /// E-mail addresses are compared case-insensitively: stored lower-cased.
    public static func normalizedEmail(_ email: String) -> String {
        email.lowercased()
    }
}
