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

    public init(heartbeatSeconds: Int = 15, buffer: Int = 1000, maxStreamsPerUser: Int = 10, maxStreams: Int = 10_000, recentEvents: Int = 1000) {
        self.heartbeatSeconds = heartbeatSeconds
        self.buffer = buffer
        self.maxStreamsPerUser = maxStreamsPerUser
        self.maxStreams = maxStreams
        self.recentEvents = recentEvents
    }
}
