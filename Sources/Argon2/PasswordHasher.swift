/// Hashes and verifies passwords as Argon2id PHC strings, compatible with libargon2 and argon2-cffi.
///
/// ```swift
/// let hasher = PasswordHasher(parameters: .rfc9106LowMemory)
/// let stored = try hasher.hash("correct horse")          // "$argon2id$v=19$m=65536,t=3,p=4$…$…"
/// guard try hasher.verify(attempt, against: stored) else { throw Unauthorized() }
/// if hasher.needsRehash(stored) { /* store try hasher.hash(attempt) */ }
/// ```
///
/// Hashing takes tens of milliseconds of CPU and m KiB of memory by design: call it off the event loop.
/// Parameters read from a stored hash are capped (`maxMemoryKiB`, `maxIterations`, `maxParallelism`), so a
/// planted or corrupted row makes `verify` throw instead of allocating gigabytes or spinning for minutes.
public struct PasswordHasher: Sendable {
    /// The cost of new hashes, and the floor below which `needsRehash` answers true.
    public let parameters: Argon2Parameters
    /// The most memory a hash may ask for, in KiB (default 1 GiB).
    public let maxMemoryKiB: UInt32
    /// The most passes a hash may ask for (default 32, or the configured iterations if higher).
    public var maxIterations: UInt32
    /// The most lanes a hash may ask for (default 64, or the configured parallelism if higher).
    public var maxParallelism: UInt32

    /// The random salt and the tag of new hashes, in bytes (argon2-cffi's defaults).
    public static let saltLength = 16
    public static let hashLength = 32

    public init(parameters: Argon2Parameters, maxMemoryKiB: UInt32 = 1 << 20) {
        self.parameters = parameters
        self.maxMemoryKiB = maxMemoryKiB
        maxIterations = max(32, parameters.iterations)
        maxParallelism = max(64, parameters.parallelism)
    }

    /// A PHC string for `password` (its UTF-8 bytes) with the configured parameters and a fresh 16-byte salt.
    public func hash(_ password: String) throws -> String {
        try checkCaps(parameters)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        var bytes = Array(password.utf8)
        defer { zero(&bytes) }
        let tag = try Argon2id.hash(password: bytes, salt: salt, parameters: parameters, length: Self.hashLength)
        return PHCString(parameters: parameters, salt: salt, hash: tag).encoded
    }

    /// Whether `password` matches the PHC string `encoded`, compared in constant time.
    ///
    /// Throws `Argon2Error` when `encoded` is malformed, not argon2id, or above the caps; returns false only
    /// for a well-formed hash of another password.
    public func verify(_ password: String, against encoded: String) throws -> Bool {
        let stored = try PHCString(parsing: encoded)
        try checkCaps(stored.parameters)
        var bytes = Array(password.utf8)
        defer { zero(&bytes) }
        var tag = try Argon2id.hash(
            password: bytes, salt: stored.salt, secret: [], associatedData: [],
            parameters: stored.parameters, length: stored.hash.count, version: stored.version)
        defer { zero(&tag) }
        return Self.constantTimeEqual(tag, stored.hash)
    }

    /// True when `encoded` should be replaced by a new hash at the next successful login: it does not parse,
    /// is not version 19, or its memory, iterations, parallelism, salt or hash length is below this hasher's.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = try? PHCString(parsing: encoded) else { return true }
        return stored.version != Argon2id.version
            || stored.parameters.memoryKiB < parameters.memoryKiB
            || stored.parameters.iterations < parameters.iterations
            || stored.parameters.parallelism < parameters.parallelism
            || stored.salt.count < Self.saltLength
            || stored.hash.count < Self.hashLength
    }

    private func checkCaps(_ candidate: Argon2Parameters) throws {
        try candidate.validate()
        guard candidate.memoryKiB <= maxMemoryKiB else {
            throw Argon2Error.memoryAboveCap.detail("memory cost \(candidate.memoryKiB) KiB is above the cap of \(maxMemoryKiB) KiB")
        }
        guard candidate.iterations <= maxIterations else {
            throw Argon2Error.costAboveCap.detail("iterations \(candidate.iterations) are above the cap of \(maxIterations)")
        }
        guard candidate.parallelism <= maxParallelism else {
            throw Argon2Error.costAboveCap.detail("parallelism \(candidate.parallelism) is above the cap of \(maxParallelism)")
        }
    }

    /// Equality whose time depends only on the lengths, not on where the bytes differ.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
