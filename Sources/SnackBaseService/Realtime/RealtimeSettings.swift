/// The limits of realtime streams (realtime.md "Limits and operation"; `SNACKBASE_REALTIME_*`).
public struct RealtimeSettings: Sendable {
    /// Seconds without an event after which a stream gets a `: ping` comment.
    public var heartbeatSeconds: Int
    /// Events that may wait for one slow client before its stream is closed (`slow consumer`).
    public var buffer: Int
    /// Open streams per user or API key (anonymous callers: per account and address).
    public var maxStreamsPerUser: Int
    /// Open streams of this process.
    public var maxStreams: Int
    /// Committed changes kept for reconnecting clients (`Last-Event-ID`).
    public var recentEvents: Int
    /// How long a stream the server ended may take to write what is left and its `closed` frame
    /// before its connection is closed regardless: a client that stopped reading keeps those writes
    /// waiting on a full socket, and would otherwise hold its connection and memory for good.
    public var closingDeadline: Duration
    /// Where the hub's own tasks (the dispatcher, the heartbeat) run: the server's only event loop
    /// when it has one (``EventLoopExecutor``), so that handing a write's change to the dispatcher does
    /// not wake a thread of the global executor on the one CPU; nil: the global executor.
    public var executor: (any TaskExecutor)?

    public init(heartbeatSeconds: Int = 15, buffer: Int = 1000, maxStreamsPerUser: Int = 10, maxStreams: Int = 10_000, recentEvents: Int = 1000,
                closingDeadline: Duration = .seconds(3)) {
        self.heartbeatSeconds = heartbeatSeconds
        self.buffer = buffer
        self.maxStreamsPerUser = maxStreamsPerUser
        self.maxStreams = maxStreams
        self.recentEvents = recentEvents
        self.closingDeadline = closingDeadline
    }
}
