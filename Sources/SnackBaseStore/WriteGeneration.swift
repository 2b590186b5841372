import Synchronization

/// Counts the write transactions of this process, so that what was read before one is known to be
/// stale. Meaningful for a store whose every write passes through this process (SQLite, one process
/// per data folder, see docs/scaling.md), or whose other processes' writes are told to this one as
/// they commit (PostgreSQL: ``PostgresStore`` starts it ``suspended`` and its change listener
/// resumes it while it listens, see ``suspend()``).
///
/// A transaction says what it may have changed (its ``Footprint``): the records of one collection in
/// one account, or anything at all (the default, for every write that does not say). A record write
/// then leaves what was read of other collections and accounts, and every sign-in, as it was; any
/// other write (a role, a user, a schema, an account) makes everything stale, as before.
public final class WriteGeneration: Sendable {
    /// What one write transaction may have changed.
    public enum Footprint: Hashable, Sendable {
        /// Anything: users, roles, keys, schemas, accounts, records of any collection.
        case everything
        /// Rows of one collection's table in one account, and nothing else any remembered read depends on
        /// (the audit log and the realtime journal, which are never remembered, may be written too).
        case records(table: String, account: String)
    }

    struct Records: Hashable, Sendable {
        let table: String
        let account: String
    }

    private struct State {
        /// Advanced by every write of any footprint.
        var counter: UInt64 = 0
        /// The counter after the last write of `.everything`.
        var everything: UInt64 = 0
        /// The counter after the last expiry (``WriteGeneration/expire()``), and after the one before it.
        var expired: UInt64 = 0
        var expiredBefore: UInt64 = 0
        /// The counter after the last write to each collection's records in each account; entries not
        /// newer than `everything` are dropped.
        var records: [Records: UInt64] = [:]
        /// While true, nothing read is remembered: every stamp is ``WriteGeneration/notRemembered``.
        var suspended = false
        /// The creates of this process that advanced each collection's records in each account since
        /// the last `.everything` write, oldest first, at most ``WriteGeneration/createsLimit`` each.
        var creates: [Records: [Advance]] = [:]
    }

    /// One advance of a collection's records in an account by a create of this process that committed.
    private struct Advance {
        let before: UInt64
        let after: UInt64
        let create: Create
    }

    /// A write of this process that committed and only inserted records: the ids of the records it
    /// inserted and (PostgreSQL) its transaction id; on SQLite 0, where a batch of the one writer's
    /// creates is one advance.
    public struct Create: Sendable, Equatable {
        public let transaction: UInt64
        public let ids: [String]
    }

    /// The stamp of a read that must not be remembered (the generation is suspended).
    static let notRemembered = UInt64.max

    /// Past this many collections-in-accounts written since the last `.everything` write, the memory
    /// of which was written when is let go by treating the next write as `.everything`.
    static let recordsLimit = 4096
    /// The most recent creates remembered for each collection in each account (``creates(table:account:from:to:)``).
    static let createsLimit = 64
    private let state = Mutex(State())

    /// `suspended`: remember nothing until ``resume()``.
    public init(suspended: Bool = false) {
        state.withLock { $0.suspended = suspended }
    }

    /// The generation of everything that is not records: a value read under it is stale once it differs.
    var current: UInt64 { state.withLock { $0.suspended ? Self.notRemembered : max($0.everything, $0.expired) } }

    /// The generation of one collection's records in one account (which includes every `.everything` write).
    func records(table: String, account: String) -> UInt64 {
        state.withLock { state in Self.stamp(of: Records(table: table, account: account), in: state) }
    }

    private static func stamp(of records: Records, in state: State) -> UInt64 {
        state.suspended ? notRemembered : max(state.everything, state.expired, state.records[records] ?? 0)
    }

    /// Makes everything read before stale, as a write of everything does, though nothing is known to
    /// have been written: PostgreSQL's periodic expiry, for the writes no message tells
    /// (``PostgresStore/rememberedFor``). What it alone made stale may still be answered while it is
    /// read again (``onlyExpired(table:account:from:to:)``); the creates remembered before it are kept,
    /// though none of them bridges it.
    public func expire() {
        state.withLock { state in
            state.counter &+= 1
            state.expiredBefore = state.expired
            state.expired = state.counter
        }
    }

    /// Whether the only advance of one collection's records in one account from stamp `from` to stamp
    /// `to` was one expiry: no write of this process, nor any told by another, and not a second expiry
    /// (what was read before it is then more than one expiry's time old). For the records read before
    /// it, answered to the callers who come while the one after it reads them again.
    func onlyExpired(table: String, account: String, from: UInt64, to: UInt64) -> Bool {
        guard from != Self.notRemembered, to != Self.notRemembered, from < to else { return false }
        return state.withLock { state in
            !state.suspended && Self.stamp(of: Records(table: table, account: account), in: state) == to
                && state.expired == to && state.expiredBefore <= from
                && state.everything <= from && (state.records[Records(table: table, account: account)] ?? 0) <= from
        }
    }

    /// From now on nothing read is remembered, and nothing remembered is answered: for when the writes
    /// of other processes may no longer be told (PostgreSQL: the change listener lost its connection).
    public func suspend() {
        state.withLock { $0.suspended = true }
    }

    /// Makes everything read before stale, then remembers again: for when the writes of other
    /// processes are told again (the listener is subscribed; what was sent before is lost).
    public func resume() {
        advance(CollectionOfOne(.everything))
        state.withLock { $0.suspended = false }
    }

    /// True while nothing is remembered.
    public var isSuspended: Bool { state.withLock { $0.suspended } }

    /// Called after a write transaction ended (committed or not), before its callers are answered:
    /// everything inside the footprints read before is stale. Also called for the writes of other
    /// processes as they are told (PostgreSQL).
    public func advance(_ footprints: some Sequence<Footprint>) {
        state.withLock { state in Self.advance(&state, footprints) }
    }

    /// ``advance(_:)`` for the records of one collection in one account by `create`, a write of this
    /// process that committed and only inserted those records (``advance(_:creates:)``).
    func advance(records table: String, account: String, by create: Create) {
        advance(CollectionOfOne(.records(table: table, account: account)), creates: [Records(table: table, account: account): create])
    }

    /// ``advance(_:)``, where `creates` says, for some of the footprints' collections in their accounts,
    /// which records this process's writes that committed inserted there and that nothing else of the
    /// footprints changed them: remembered with the stamps just before and just after, under one lock,
    /// for ``creates(table:account:from:to:)``. SQLite's writer advances a batch at once, PostgreSQL one transaction.
    func advance(_ footprints: some Sequence<Footprint>, creates: [Records: Create]) {
        state.withLock { state in
            let stamped = creates.map { (records: $0.key, create: $0.value, before: Self.stamp(of: $0.key, in: state)) }
            Self.advance(&state, footprints)
            for (records, create, before) in stamped {
                let after = Self.stamp(of: records, in: state)
                guard before != Self.notRemembered, after != Self.notRemembered, before < after, state.records[records] == after else { continue }
                var advances = state.creates[records, default: []]
                if advances.count == Self.createsLimit { advances.removeFirst() }
                advances.append(Advance(before: before, after: after, create: create))
                state.creates[records] = advances
            }
        }
    }

    /// The creates that advanced the records of one collection in one account from stamp `from` to
    /// stamp `to`, in order, when nothing else did: every advance between the two was one of this
    /// process's creates that committed (``advance(records:account:by:)``). Nil when any other write
    /// advanced them meanwhile (an update, a delete, a write that failed, another process's write as it
    /// was told, the periodic expiry, any write of everything), or when the creates between are more
    /// than are remembered.
    func creates(table: String, account: String, from: UInt64, to: UInt64) -> [Create]? {
        guard from != Self.notRemembered, to != Self.notRemembered, from <= to else { return nil }
        if from == to { return [] }
        return state.withLock { state in
            guard let advances = state.creates[Records(table: table, account: account)],
                  let start = advances.firstIndex(where: { $0.before == from }) else { return nil }
            var found: [Create] = []
            var reached = from
            for advance in advances[start...] {
                guard advance.before == reached else { return nil }
                found.append(advance.create)
                reached = advance.after
                if reached == to { return found }
            }
            return nil
        }
    }

    private static func advance(_ state: inout State, _ footprints: some Sequence<Footprint>) {
        state.counter &+= 1
        var written: [Records] = []
        for footprint in footprints {
            switch footprint {
            case .everything:
                state.everything = state.counter
                state.records.removeAll(keepingCapacity: true)
                state.creates.removeAll(keepingCapacity: true)
                return
            case .records(let table, let account):
                written.append(Records(table: table, account: account))
            }
        }
        guard state.records.count + written.count <= Self.recordsLimit else {
            state.everything = state.counter
            state.records.removeAll(keepingCapacity: true)
            state.creates.removeAll(keepingCapacity: true)
            return
        }
        for records in written { state.records[records] = state.counter }
    }
}
