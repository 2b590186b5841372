import Synchronization

/// Read connections, each used by one statement at a time: a statement takes an idle one (or
/// opens another when all are busy, which happens only when more threads read at once than ever
/// before) and gives it back when done. No caller ever waits for another's query.
final class SQLiteReaderPool: Sendable {
    private let path: String
    private let idle = Mutex<[SQLiteLink]>([])
    private let closed = Atomic<Bool>(false)

    init(path: String) {
        self.path = path
    }

    func withLink<T>(_ body: (SQLiteLink) throws -> T) throws -> T {
        let link = try idle.withLock { $0.popLast() } ?? open()
        defer { giveBack(link) }
        return try body(link)
    }

    private func open() throws -> SQLiteLink {
        guard !closed.load(ordering: .acquiring) else { throw SQLiteFailure(code: 21, message: "database closed") }
        let link = try SQLiteLink(path: path, readOnly: false)
        // A read connection's page cache is 512 KiB (SQLite's default is 2 MiB for each): the pages
        // that requests share stay cached, the rest come from the OS's file cache, and the process
        // stops growing once these few caches are full (see Benchmarks/soak).
        for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON", "PRAGMA cache_size=-512"] {
            try link.run(pragma, []) { _ in }
        }
        return link
    }

    private func giveBack(_ link: SQLiteLink) {
        if closed.load(ordering: .acquiring) {
            link.close()
        } else {
            idle.withLock { $0.append(link) }
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
        for link in idle.withLock({ links in defer { links.removeAll() }; return links }) {
            link.close()
        }
    }
}
