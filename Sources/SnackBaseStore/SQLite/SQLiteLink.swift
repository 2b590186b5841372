import CSQLiteShim
import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// One SQLite connection used directly through the C API, on the calling thread.
///
/// SQLiteNIO runs every statement on a thread pool and prepares it anew each time; on the hot
/// paths (a record by id is two short queries) the thread hops and the SQL parsing cost more than
/// the queries themselves. Here a statement is prepared once per distinct SQL text and kept;
/// each execution binds, steps and resets it while holding the connection's lock. A call never
/// suspends while it holds the lock, so it cannot deadlock with other tasks.
///
/// The SQL text comes from SQLKit's serializer (identifiers from the stored schema, `?` for every
/// value); the values are bound, never spliced.
final class SQLiteLink: Sendable {
    /// Statements kept per connection; past this, the cache is emptied and starts over (SQL text
    /// varies only with the shape of a query, so a real workload stays well under it).
    static let statementCacheLimit = 256

    private struct State: ~Copyable {
        let handle: OpaquePointer
        var statements: [String: OpaquePointer] = [:]
        var columns: [String: SQLiteColumnNames] = [:]
        var closed = false
        /// Where SQLite writes the WAL's length after each commit, once ``countWALFrames()`` asked for it.
        var walFrames: UnsafeMutablePointer<Int32>?
    }

    private let state: Mutex<State>

    /// The process-wide settings, made once before the first connection opens.
    ///
    /// Every write transaction runs in a savepoint (see ``WriteBatcher``), and SQLite copies each
    /// page a savepoint changes into its journal. A record write changes a leaf of each of its
    /// twelve B-trees at least (the table and its indexes, the audit log and its indexes), about
    /// SQLite's 64 KiB spill threshold with 4 KiB pages, so a batch's journal went to a temporary
    /// file, written with a system call per page. Kept in memory up to 120 KiB, a record write's
    /// journal rarely touches a file, and a larger change spills. The ceiling is SQLite's: it keeps
    /// an in-memory journal in blocks of the threshold's size and spills by writing each block with
    /// one call, and its unix VFS writes at most 128 KiB - 1 bytes per call. With 256 KiB blocks
    /// the spill's write came back short and SQLite called the disk full: every transaction that
    /// changed more than 64 existing pages failed (`aWriteWhoseJournalSpillsToAFileCommits`).
    /// (With 4 MiB blocks, besides, the allocator's arenas kept growing: the soak grew 11 % in 5 min.)
    static let statementJournalSpill = 120 << 10
    /// That block is allocated and freed by every write transaction, and so are the page buffers SQLite
    /// reads into: freed at the top of a heap, glibc handed them back to the system as soon as the free
    /// top passed 128 KiB, and the next transaction faulted every page of them in again (perf of S3:
    /// 11 % of the server's CPU in page faults under `pcache1FetchStage2`). Up to 256 KiB of free top
    /// is kept per heap instead: S3 alternating against glibc's default 1.053x (7 of 10); 1 MiB did no
    /// better (256 KiB against it 1.005x, 5 of 10) but cost memory, since every heap of the allocator
    /// keeps that much: the 30-minute soak grew 13.5 % with 1 MiB (7.9 % without the setting, in the
    /// same session). Process-wide, like the setting above; PostgreSQL's S3 gained nothing.
    static let freeHeapTopKept = 256 << 10
    private static let configured: Void = {
        precondition(statementJournalSpill < 128 << 10, "SQLite writes a journal block in one call of at most 128 KiB - 1")
        _ = snackbase_sqlite_set_statement_journal_spill(Int32(statementJournalSpill))
        _ = snackbase_keep_free_heap_tops(Int32(freeHeapTopKept))
    }()

    init(path: String, readOnly: Bool) throws {
        Self.configured
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw SQLiteFailure(code: status, message: "cannot open \(path): \(message)")
        }
        // Plans must not depend on bound values, or a cached statement is re-prepared on every bind.
        let qpsg = snackbase_sqlite_enable_qpsg(UnsafeMutableRawPointer(handle))
        guard qpsg == SQLITE_OK else {
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: qpsg, message: "cannot configure \(path)")
        }
        self.state = Mutex(State(handle: handle))
    }

    /// Runs one statement: prepares it (or takes it from the cache), binds `binds`, and hands
    /// every result row to `onRow`.
    func run(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteResultRow) throws -> Void) throws {
        try state.withLock { state in
            guard !state.closed else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "connection closed") }
            let handle = state.handle
            let statement: OpaquePointer
            if let cached = state.statements[sql] {
                statement = cached
            } else {
                if state.statements.count >= Self.statementCacheLimit {
                    for (_, old) in state.statements { sqlite_nio_sqlite3_finalize(old) }
                    state.statements.removeAll(keepingCapacity: true)
                    state.columns.removeAll(keepingCapacity: true)
                }
                var prepared: OpaquePointer?
                let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
                guard status == SQLITE_OK, let prepared else {
                    throw SQLiteFailure(code: status, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
                }
                statement = prepared
                state.statements[sql] = prepared
            }
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            }
            try Self.bind(binds, to: statement, handle: handle)
            var names: SQLiteColumnNames?
            while true {
                let status = sqlite_nio_sqlite3_step(statement)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else {
                    throw SQLiteFailure(code: sqlite_nio_sqlite3_extended_errcode(handle), message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
                }
                if names == nil {
                    // The names are kept with the statement, and read again whenever SQLite has
                    // re-prepared it (a schema change: a column dropped and another added keeps the count).
                    let prepared = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
                    if let known = state.columns[sql], known.preparation == prepared {
                        names = known
                    } else {
                        let count = Int(sqlite_nio_sqlite3_column_count(statement))
                        let fresh = SQLiteColumnNames(
                            (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, Int32($0))) }, preparation: prepared
                        )
                        state.columns[sql] = fresh
                        names = fresh
                    }
                }
                try onRow(SQLiteResultRow(names: names!, values: try Self.values(of: statement, count: names!.names.count)))
            }
        }
    }

    /// From now on, records the WAL's length after each commit (``framesInWAL``). This turns off
    /// SQLite's automatic checkpoints on this connection: the caller copies the WAL back itself.
    func countWALFrames() {
        state.withLock { state in
            guard !state.closed, state.walFrames == nil else { return }
            let frames = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            frames.initialize(to: 0)
            state.walFrames = frames
            snackbase_sqlite_count_wal_frames(UnsafeMutableRawPointer(state.handle), frames)
        }
    }

    /// Frames in the WAL after this connection's last commit (0 unless ``countWALFrames()`` was called).
    var framesInWAL: Int {
        state.withLock { Int($0.walFrames?.pointee ?? 0) }
    }

    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            for (_, statement) in state.statements { sqlite_nio_sqlite3_finalize(statement) }
            state.statements.removeAll()
            if let frames = state.walFrames {
                snackbase_sqlite_count_wal_frames(UnsafeMutableRawPointer(state.handle), nil)
                sqlite_nio_sqlite3_close_v2(state.handle)
                frames.deallocate()
                state.walFrames = nil
            } else {
                sqlite_nio_sqlite3_close_v2(state.handle)
            }
            state.closed = true
        }
    }

    deinit {
        close()
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ binds: [SQLiteData], to statement: OpaquePointer, handle: OpaquePointer) throws {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let integer):
                status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
            case .float(let double):
                status = sqlite_nio_sqlite3_bind_double(statement, index, double)
            case .text(let text):
                status = sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
            case .blob(let buffer):
                status = buffer.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64($0.count), transient)
                }
            case .null:
                status = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else {
                throw SQLiteFailure(code: status, message: String(cString: sqlite_nio_sqlite3_errmsg(handle)))
            }
        }
    }

    private static func values(of statement: OpaquePointer, count: Int) throws -> [SQLiteData] {
        var values: [SQLiteData] = []
        values.reserveCapacity(count)
        for column in 0..<Int32(count) {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                values.append(.integer(Int(sqlite_nio_sqlite3_column_int64(statement, column))))
            case SQLITE_FLOAT:
                values.append(.float(sqlite_nio_sqlite3_column_double(statement, column)))
            case SQLITE_TEXT:
                let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                guard let text = sqlite_nio_sqlite3_column_text(statement, column) else {
                    values.append(.text(""))
                    continue
                }
                values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
            case SQLITE_BLOB:
                let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                if let blob = sqlite_nio_sqlite3_column_blob(statement, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: blob, count: length))
                }
                values.append(.blob(buffer))
            default:
                values.append(.null)
            }
        }
        return values
    }
}
