import SQLKit
import SnackBaseStore
import Synchronization

/// A database whose reads or whose transactions wait until the test lets them go (``open()``), and
/// which counts them: a test can hold a request at that point while something else happens.
package final class GatedDatabase: Database {
    package enum Gate { case reads, transactions }
    private struct State {
        var started = 0
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    package let base: any Database
    package let gate: Gate
    private let state = Mutex(State())
    package init(_ base: any Database, gating gate: Gate) {
        self.base = base
        self.gate = gate
    }

    package var kind: DatabaseKind { base.kind }
    package var writeGeneration: WriteGeneration? { base.writeGeneration }
    package var rememberedReads: RememberedReads? { base.rememberedReads }
    /// How many gated calls have started (waiting or not).
    package var started: Int { state.withLock { $0.started } }
    package func ping() async -> Bool { await base.ping() }
    package func shutdown() async {}
    package func transaction<T: Sendable>(
        touching footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        if gate == .transactions { await pass() }
        return try await base.transaction(touching: footprint, carrying: carry, body)
    }
    package func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if gate == .reads { await pass() }
        return try await base.read(body)
    }
    package func open() {
        for go in state.withLock({ state in defer { state.waiting = [] }; state.open = true; return state.waiting }) { go.resume() }
    }

    private func pass() async {
        await withCheckedContinuation { go in
            let now = state.withLock { state in
                state.started += 1
                if !state.open { state.waiting.append(go) }
                return state.open
            }
            if now { go.resume() }
        }
    }
}
