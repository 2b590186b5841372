/// Argon2 cost parameters: memory in KiB (m), passes over memory (t) and lanes (p).
///
/// RFC 9106 §4 recommends m=2 GiB, t=1, p=4 or, where memory is scarce, m=64 MiB, t=3, p=4;
/// OWASP's lower bound for Argon2id is m=19 MiB, t=2, p=1.
public struct Argon2Parameters: Sendable, Equatable {
    public var memoryKiB: UInt32
    public var iterations: UInt32
    public var parallelism: UInt32

    public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// RFC 9106's second recommended option (and argon2-cffi's default): m=64 MiB, t=3, p=4.
    public static let rfc9106LowMemory = Self(memoryKiB: 65536, iterations: 3, parallelism: 4)
    /// OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1.
    public static let owaspMinimum = Self(memoryKiB: 19456, iterations: 2, parallelism: 1)

    /// The largest lane count RFC 9106 allows, 2^24 - 1.
    public static let maxParallelism: UInt32 = 0xFF_FFFF

    /// Throws unless the parameters are within RFC 9106's ranges: 1 ≤ p < 2^24, t ≥ 1, m ≥ 8p.
    public func validate() throws {
        guard (1...Self.maxParallelism).contains(parallelism) else {
            throw Argon2Error.invalidParameters.detail("parallelism \(parallelism) is not in 1...\(Self.maxParallelism)")
        }
        guard iterations >= 1 else {
            throw Argon2Error.invalidParameters.detail("iterations must be at least 1")
        }
        guard UInt64(memoryKiB) >= 8 * UInt64(parallelism) else {
            throw Argon2Error.invalidParameters.detail("memory \(memoryKiB) KiB is below 8 KiB per lane")
        }
    }
}
