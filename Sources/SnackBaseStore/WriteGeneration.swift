import Synchronization

/// A counter that every write transaction of this process advances when it ends, before its caller
/// is answered. Only meaningful for a store whose every write passes through this process (SQLite,
/// one process per data folder, see docs/scaling.md); PostgreSQL has none.
public final class WriteGeneration: Sendable {
    private let value = Atomic<UInt64>(0)

    public init() {}

    var current: UInt64 { value.load(ordering: .sequentiallyConsistent) }

    /// Called after a write transaction ended (committed or not): everything read before is stale.
    func advance() {
        value.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }
}
