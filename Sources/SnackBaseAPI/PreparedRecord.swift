import NIOCore
import SnackBaseRules

/// What a list derives from one stored record alone: its values for the rule engine (to decide what
/// the caller may see of it) and its JSON with every field (what a caller who may see everything gets).
struct PreparedRecord: Sendable {
    let ruleValues: [String: RuleValue]
    let everyField: ByteBuffer
}
