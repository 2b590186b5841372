/// Where the request that caused an event came from. The API sets it for the whole handling of a
/// request (``AuditOrigin/current``), so an entry written deep inside a transaction, by a record
/// hook say, still carries the request id, address and user agent.
public struct AuditOrigin: Sendable, Equatable {
    public var requestID: String?
    public var ip: String?
    public var userAgent: String?

    public init(requestID: String?, ip: String?, userAgent: String?) {
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
    }

    @TaskLocal public static var current: AuditOrigin?
}
