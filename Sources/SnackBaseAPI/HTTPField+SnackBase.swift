import HTTPTypes

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
    static let account = HTTPField.Name("X-Account")!
    /// The Python SnackBase's name for `X-Account`.
    static let accountID = HTTPField.Name("X-Account-ID")!
    /// An API key, as an alternative to `Authorization: Bearer sb_ak_…` (identity.md).
    static let apiKey = HTTPField.Name("X-API-Key")!
}
