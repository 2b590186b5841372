extension Database {
    /// The feed that reaches the other processes on this database, or nil where there are none
    /// (SQLite is one process's database).
    public var changeFeed: (any ChangeFeed)? {
        guard let postgres = self as? PostgresStore else { return nil }
        return PostgresChangeFeed(store: postgres)
    }
}
