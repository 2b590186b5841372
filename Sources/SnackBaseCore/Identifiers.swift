import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The id of an account (tenant): two capital letters and four digits, `AB1001`.
/// The system account, whose users are superadmins, is ``AccountID/system``.
public struct AccountID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    public static let system = AccountID(unchecked: "SY0000")

    /// Accepts only the `XX####` shape.
    public init?(_ text: String) {
        guard AccountID.isWellFormed(text) else { return nil }
        self.rawValue = text
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    public var description: String { rawValue }
    public var isSystem: Bool { self == .system }

    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 6 else { return false }
        return bytes[0...1].allSatisfy { (65...90).contains($0) } && bytes[2...5].allSatisfy { (48...57).contains($0) }
    }

    /// A fresh random account id; callers retry on the (rare) collision.
    public static func random() -> AccountID {
        var rng = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var text = String(letters[Int.random(in: 0..<26, using: &rng)])
        text.append(letters[Int.random(in: 0..<26, using: &rng)])
        text += String(Int.random(in: 0...9999, using: &rng)).leftPadded(to: 4)
        return AccountID(unchecked: text)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = AccountID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an account id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Opaque, unguessable ids with a type prefix (`usr_`, `role_`, `perm_`, `col_`, `rec_`, `aud_`):
/// 128 random bits from the system's CSPRNG, as 32 lower-case hex digits.
public enum SecureID {
    public static func make(_ prefix: String) -> String {
        prefix + "_" + randomHex(bytes: 16)
    }

    /// An id that sorts by when it was made: `prefix_`, the milliseconds since 1970 as 12 hex digits,
    /// then 96 random bits (24 hex digits), so it is as unguessable as the contract asks. For audit
    /// entries, whose index then grows at its end instead of taking a random page per entry (a fifth
    /// of the WAL a record create writes). Only for ids whose time is no secret: an audit entry shows
    /// its `created_at` to whoever can read it; a record id stays random, because field rules can
    /// hide a record's `created_at`.
    public static func timeOrdered(_ prefix: String, at date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        return prefix + "_" + String(milliseconds & 0xffff_ffff_ffff, radix: 16).leftPadded(to: 12) + randomHex(bytes: 12)
    }

    public static func randomHex(bytes count: Int) -> String {
        precondition(count <= RandomPool.capacity, "at most \(RandomPool.capacity) random bytes at a time")
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { random in
            RandomPool.shared.fill(random)
            defer { random.initialize(repeating: 0) }
            return String(unsafeUninitializedCapacity: count * 2) { text in
                digits.withUTF8Buffer { digits in
                    for (index, byte) in random.enumerated() {
                        text[2 * index] = digits[Int(byte >> 4)]
                        text[2 * index + 1] = digits[Int(byte & 0x0f)]
                    }
                }
                return count * 2
            }
        }
    }
}

/// Bytes from the system's CSPRNG, fetched 256 at a time: a record create needs three
/// random values (request, record and audit ids), which Swift's generator fetched with a system call
/// per 8 bytes, six per create. The bytes are the kernel's own, handed out once each and zeroed as
/// they go, so an id is exactly as unguessable as before; only the number of system calls changes.
/// The process never forks (a forked child would share what is left of the pool).
final class RandomPool: Sendable {
    static let capacity = 256
    static let shared = RandomPool()
    private struct Pool: ~Copyable {
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: RandomPool.capacity)
        var next = RandomPool.capacity
        deinit { bytes.deallocate() }
    }
    private let pool = Mutex(Pool())

    func fill(_ output: UnsafeMutableBufferPointer<UInt8>) {
        pool.withLock { pool in
            var written = 0
            while written < output.count {
                if pool.next == Self.capacity {
                    Self.systemRandom(pool.bytes)
                    pool.next = 0
                }
                let take = min(output.count - written, Self.capacity - pool.next)
                for offset in 0..<take {
                    output[written + offset] = pool.bytes[pool.next + offset]
                    pool.bytes[pool.next + offset] = 0
                }
                written += take
                pool.next += take
            }
        }
    }

    /// Fills `buffer` from the kernel's CSPRNG (`/dev/urandom`, opened once: on Linux the same generator
    /// as `getrandom`, which Swift's Glibc module does not export); a failure stops the process, as
    /// Swift's own generator does, rather than hand out bytes that are not random.
    private static func systemRandom(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        #if canImport(Glibc)
        var filled = 0
        while filled < buffer.count {
            let count = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { fatalError("reading /dev/urandom failed: errno \(errno)") }
            filled += count
        }
        #else
        arc4random_buf(buffer.baseAddress!, buffer.count)
        #endif
    }

    #if canImport(Glibc)
    private static let urandom: Int32 = {
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { fatalError("cannot open /dev/urandom: errno \(errno)") }
        return descriptor
    }()
    #endif
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
