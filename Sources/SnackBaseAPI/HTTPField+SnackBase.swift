import HTTPTypes

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
    static let account = HTTPField.Name("X-Account")!
    /// The Python SnackBase's name for `X-Account`.
    static let accountID = HTTPField.Name("X-Account-ID")!
    /// The id of the last realtime event a reconnecting client saw (Server-Sent Events).
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Asks a proxy in front (nginx) not to buffer an event stream.
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
    /// An API key, as an alternative to `Authorization: Bearer sb_ak_…` (identity.md).
    static let apiKey = HTTPField.Name("X-API-Key")!
}
