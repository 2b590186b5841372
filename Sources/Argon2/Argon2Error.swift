/// An error thrown by BLAKE2b, Argon2id or the PHC string codec.
///
/// A public struct over a private code, so new failure kinds can be added without breaking callers.
/// Two errors are equal when they are the same kind, whatever their message says, so tests and callers
/// can match on the kind: `catch let error as Argon2Error where error == .memoryAboveCap`.
/// The message names the offending parameter but never contains a password, salt or hash.
public struct Argon2Error: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidOutputLength
        case invalidKeyLength
        case invalidParameters
        case inputTooLong
        case saltTooShort
        case memoryAboveCap
        case costAboveCap
        case outOfMemory
        case malformedHash
        case unsupportedVariant
        case unsupportedVersion
    }

    private let code: Code
    /// What went wrong, for logs and error responses.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Argon2Error: \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// A BLAKE2b or Argon2 output length outside what the algorithm allows.
    public static let invalidOutputLength = Self(.invalidOutputLength, "invalid output length")
    /// A BLAKE2b key longer than 64 bytes.
    public static let invalidKeyLength = Self(.invalidKeyLength, "BLAKE2b key longer than 64 bytes")
    /// Memory, iterations or parallelism outside RFC 9106's ranges.
    public static let invalidParameters = Self(.invalidParameters, "invalid Argon2 parameters")
    /// A password, salt, secret or associated data longer than 2^32 - 1 bytes.
    public static let inputTooLong = Self(.inputTooLong, "input longer than 2^32 - 1 bytes")
    /// A salt shorter than 8 bytes.
    public static let saltTooShort = Self(.saltTooShort, "salt shorter than 8 bytes")
    /// A memory cost above the configured cap (see `PasswordHasher.init(parameters:maxMemoryKiB:)`).
    public static let memoryAboveCap = Self(.memoryAboveCap, "memory cost above the configured cap")
    /// Iterations or parallelism above the configured cap (`PasswordHasher.maxIterations`, `.maxParallelism`).
    public static let costAboveCap = Self(.costAboveCap, "time cost or parallelism above the configured cap")
    /// The working memory could not be allocated.
    public static let outOfMemory = Self(.outOfMemory, "could not allocate Argon2 working memory")
    /// A PHC string that does not follow `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`.
    public static let malformedHash = Self(.malformedHash, "malformed PHC string")
    /// A PHC string for argon2i, argon2d or another algorithm.
    public static let unsupportedVariant = Self(.unsupportedVariant, "unsupported algorithm: only argon2id is accepted")
    /// A PHC string with a version other than 19 (0x13).
    public static let unsupportedVersion = Self(.unsupportedVersion, "unsupported Argon2 version: only v=19 is accepted")

    /// The same kind of error with a more precise message.
    func detail(_ message: String) -> Self { Self(code, message) }
}
