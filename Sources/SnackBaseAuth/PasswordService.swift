import Argon2
import NIOPosix
import SnackBaseCore

/// Argon2id hashing and verification, run on a dedicated thread pool so that a login never
/// stalls the event loops or Swift's cooperative threads (a hash takes tens of milliseconds).
public final class PasswordService: Sendable {
    public let hasher: PasswordHasher
    private let pool: NIOThreadPool
    /// A hash of a random password with the current parameters, verified against when the account
    /// or e-mail does not exist, so that every failed login costs the same. Made on the pool in the
    /// background, so that it does not delay the start.
    private let decoy: Task<String?, Never>

    public init(parameters: Argon2Parameters, threads: Int = 2) throws {
        try parameters.validate()
        let hasher = PasswordHasher(parameters: parameters)
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.hasher = hasher
        self.pool = pool
        decoy = Task { try? await pool.runIfActive { try hasher.hash(SecureID.randomHex(bytes: 16)) } }
    }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await pool.runIfActive { try hasher.hash(password) }
    }

    /// False for a mismatch and for a stored hash that cannot be parsed (logged by the caller).
    public func verify(_ password: String, against encoded: String) async -> Bool {
        let hasher = self.hasher
        return (try? await pool.runIfActive { try hasher.verify(password, against: encoded) }) ?? false
    }

    /// Spends one verification on the decoy hash; always false.
    public func verifyDecoy(_ password: String) async -> Bool {
        if let decoy = await decoy.value {
            _ = await verify(password, against: decoy)
        } else {
            _ = try? await hash(password)
        }
        return false
    }

    /// The costs the Python SnackBase hashes with (security-model.md §1): an imported hash may cost
    /// up to these or this server's own parameters, whichever are higher.
    public static let pythonSnackBaseParameters = (memoryKiB: UInt32(65_536), iterations: UInt32(3), parallelism: UInt32(4))

    /// Why `encoded` cannot be stored as an imported user's password hash, or nil when it can: an
    /// Argon2id PHC string that parses and costs no more than ``pythonSnackBaseParameters`` or this
    /// server's parameters, whichever are higher (a tenant's import must not make each of its logins
    /// cost the server more than that). The message names the problem, never the hash.
    public func importProblem(_ encoded: String) -> String? {
        let stored: PHCString
        do {
            stored = try PHCString(parsing: encoded)
            try stored.parameters.validate()
        } catch let error as Argon2Error {
            return error.message
        } catch {
            return "malformed PHC string"
        }
        let own = hasher.parameters, python = Self.pythonSnackBaseParameters
        let caps = (m: max(own.memoryKiB, python.memoryKiB), t: max(own.iterations, python.iterations), p: max(own.parallelism, python.parallelism))
        if stored.parameters.memoryKiB > caps.m { return "memory cost m=\(stored.parameters.memoryKiB) is above \(caps.m) KiB" }
        if stored.parameters.iterations > caps.t { return "time cost t=\(stored.parameters.iterations) is above \(caps.t)" }
        if stored.parameters.parallelism > caps.p { return "parallelism p=\(stored.parameters.parallelism) is above \(caps.p)" }
        return nil
    }

    public func needsRehash(_ encoded: String) -> Bool {
        hasher.needsRehash(encoded)
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
