/// The checked, typed tree every later stage consumes. The checker desugars the surface syntax:
/// `a != b` is `not (a == b)`, `x not in l` is `not (x in l)`, `@has_role(r)` is `r in user.roles`,
/// `@owns_record(f)` is `not (user.id == null) and f == user.id`, and a boolean value in a boolean
/// position (`published`) is `published == true`.
indirect enum Expr: Sendable {
    /// A literal (lists hold only literals).
    case constant(RuleValue)
    /// A record field (`status`, `record.status`, system fields).
    case field(String)
    /// `data.<field>`: the value sent in the request body.
    case data(String)
    case user(UserAttribute)
    case context(ContextAttribute)
    /// `@is_superadmin()`
    case superadmin
    case not(Expr)
    case and([Expr])
    case or([Expr])
    case equal(Expr, Expr)
    /// `collated` when the operands are texts or datetimes (PostgreSQL needs `COLLATE "C"`).
    case order(OrderOperator, Expr, Expr, collated: Bool)
    /// `x in list`
    case member(Expr, ListSource)
    /// `@has_any_role(list)`
    case anyRole(ListSource)
    case text(RuleTextTest, Expr, Expr)
}

/// Where a list comes from: the language has list literals and `user.roles`, nothing else, so
/// every list is known before the query.
enum ListSource: Sendable {
    case literal([RuleValue])
    case userRoles
}

enum UserAttribute: String, Sendable, CaseIterable {
    case id, email, accountID = "account_id", roles
}

enum ContextAttribute: String, Sendable, CaseIterable {
    case accountID = "account_id", operation, now
}

enum OrderOperator: String, Sendable {
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="

    init(_ op: CompareOperator, at position: Int) throws(RuleError) {
        switch op {
        case .less: self = .less
        case .lessEqual: self = .lessEqual
        case .greater: self = .greater
        case .greaterEqual: self = .greaterEqual
        case .equal, .notEqual: throw RuleError(message: "'\(op.rawValue)' is not an ordering", position: position)
        }
    }

    func holds(_ comparison: Int) -> Bool {
        switch self {
        case .less: comparison < 0
        case .lessEqual: comparison <= 0
        case .greater: comparison > 0
        case .greaterEqual: comparison >= 0
        }
    }
}

/// The text functions; each is case-sensitive and works on code points.
public enum RuleTextTest: String, Sendable, CaseIterable {
    case contains, startsWith = "starts_with", endsWith = "ends_with"

    /// Whether `text` contains / starts with / ends with `part`, byte-wise on UTF-8 (so on code points).
    func holds(_ text: String, _ part: String) -> Bool {
        var text = text, part = part
        return text.withUTF8 { haystack in
            part.withUTF8 { needle in
                if needle.count > haystack.count { return false }
                switch self {
                case .startsWith:
                    return haystack[..<needle.count].elementsEqual(needle)
                case .endsWith:
                    return haystack[(haystack.count - needle.count)...].elementsEqual(needle)
                case .contains:
                    if needle.isEmpty { return true }
                    for start in 0...(haystack.count - needle.count)
                    where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
                        return true
                    }
                    return false
                }
            }
        }
    }
}
