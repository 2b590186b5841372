/// Which transactions a PostgreSQL statement saw: `pg_current_snapshot()` as text, `xmin:xmax:xip,…`
/// (64-bit transaction ids, which never wrap). A committed transaction is seen when its id is below
/// `xmin`, or below `xmax` and not among those in progress (`xip`): PostgreSQL's own
/// `pg_visible_in_snapshot`, for transactions known to have committed.
public struct PostgresSnapshot: Sendable, Hashable {
    let xmin: UInt64
    let xmax: UInt64
    let inProgress: Set<UInt64>

    /// Nil for text that is not a snapshot: then nothing is caught up, the total is counted again.
    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let xmin = UInt64(parts[0]), let xmax = UInt64(parts[1]), xmin <= xmax else { return nil }
        var inProgress: Set<UInt64> = []
        if !parts[2].isEmpty {
            for part in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = UInt64(part), id >= xmin, id < xmax else { return nil }
                inProgress.insert(id)
            }
        }
        self.xmin = xmin
        self.xmax = xmax
        self.inProgress = inProgress
    }

    /// Whether the statement saw what `transaction`, which committed, wrote.
    func sees(committed transaction: UInt64) -> Bool {
        transaction < xmin || (transaction < xmax && !inProgress.contains(transaction))
    }
}
