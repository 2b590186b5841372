/// The built-in functions of rules.md, with their signatures for error messages.
enum BuiltinFunction: String, Sendable, CaseIterable {
    case hasRole = "has_role"
    case hasAnyRole = "has_any_role"
    case ownsRecord = "owns_record"
    case isSuperadmin = "is_superadmin"
    case contains
    case startsWith = "starts_with"
    case endsWith = "ends_with"

    /// Accepted argument counts.
    var arity: ClosedRange<Int> {
        switch self {
        case .hasRole, .hasAnyRole: 1...1
        case .ownsRecord: 0...1
        case .isSuperadmin: 0...0
        case .contains, .startsWith, .endsWith: 2...2
        }
    }

    var signature: String {
        switch self {
        case .hasRole: "@has_role(role)"
        case .hasAnyRole: "@has_any_role([roles])"
        case .ownsRecord: "@owns_record() or @owns_record(\"field\")"
        case .isSuperadmin: "@is_superadmin()"
        case .contains: "@contains(text, part)"
        case .startsWith: "@starts_with(text, prefix)"
        case .endsWith: "@ends_with(text, suffix)"
        }
    }

    static var names: String { allCases.map { "@" + $0.rawValue }.joined(separator: ", ") }
}
