import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// Who acts on records, in which account and collection, under which policy, at which time: made
/// once per request by ``RecordService/target(collection:principal:requestedAccount:bodyAccount:)``.
package struct RecordTarget: Sendable {
    package let principal: Principal
    package let scope: RecordScope
    package let policy: AccessPolicy
    package let now: String
    /// Writes the collection's records as JSON (from the catalog, with the schema in `scope`).
    package let writer: RecordCodec.Writer

    /// Refuses before the body is validated or the record looked up when no permission of the
    /// caller grants `operation` at all (an anonymous caller: 401, as the contract says).
    func refuseIfNeverGranted(_ operation: SnackBaseCore.Operation) throws {
        if let refusal = policy.refusalOfEveryRecord(operation, by: principal, on: scope.collection) { try RecordService.require(refusal) }
    }

    /// The policy's decision for `operation` on `record` (as stored, or as it would be stored for a
    /// create), with `data` the fields a create or update sends.
    /// `ruleValues`: `record`'s values for the rule engine where they were derived already.
    func decide(
        _ operation: SnackBaseCore.Operation, record: StoredRecord, ruleValues: [String: RuleValue]? = nil, data: StoredRecord? = nil, sentFields: Set<String> = []
    ) -> AccessDecision {
        let collection = scope.collection
        return policy.decide(
            operation, by: principal, on: collection, record: ruleValues ?? RecordCodec.ruleValues(record, collection: collection),
            data: data.map { RecordCodec.ruleValues($0, collection: collection) }, sentFields: sentFields, now: now
        )
    }
}
