import Crypto
import Foundation

/// Encrypts TOTP seeds at rest, so a copy of the database alone does not give away
/// anyone's second factor.
///
/// The AES-256-GCM key is derived with HKDF-SHA256 from the server's secret key
/// (`SNACKBASE_SECRET_KEY`, at least 32 bytes) with the fixed info string
/// `"snackbase totp seed v1"`, so it is never the same key as any other use of that
/// secret. A sealed seed is one string, `v1.<base64 of nonce ‖ ciphertext ‖ tag>`,
/// with a fresh random 12-byte nonce each time. The caller binds associated data
/// (the user's id): a sealed seed copied onto another user's row does not open.
///
/// Opening throws on a bad version, malformed or non-canonical base64, a wrong key,
/// other associated data, or any change to the sealed bytes. The key never appears
/// in `description`, `debugDescription` or a mirror.
public struct SecretSealer: Sendable {
    /// The fewest secret key bytes accepted.
    public static let minimumSecretKeyLength = 32
    /// The HKDF info string, versioned with the format.
    public static let info = "snackbase totp seed v1"
    /// The prefix of every sealed string this version writes.
    static let versionPrefix = "v1."

    private let key: SymmetricKey

    /// - Throws: `SecretSealerError.secretKeyTooShort` for fewer than 32 bytes.
    public init(secretKey: [UInt8]) throws(SecretSealerError) {
        guard secretKey.count >= Self.minimumSecretKeyLength else { throw .secretKeyTooShort }
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secretKey),
            info: Array(Self.info.utf8),
            outputByteCount: 32
        )
    }

    private init(key: SymmetricKey) {
        self.key = key
    }

    /// A sealer with a key of its own for another use of the same secret (HKDF-SHA256 from this
    /// sealer's key with `info`), so that what one use sealed never opens in another.
    public func derived(info: String) -> SecretSealer {
        SecretSealer(key: HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array(info.utf8), outputByteCount: 32))
    }

    /// Seals `seed`, bound to `associatedData` (the owning user's id).
    public func seal(_ seed: [UInt8], associatedData: String) throws(SecretSealerError) -> String {
        do {
            let box = try AES.GCM.seal(seed, using: key, authenticating: Array(associatedData.utf8))
            guard let combined = box.combined else { throw SecretSealerError.malformed }
            return Self.versionPrefix + combined.base64EncodedString()
        } catch {
            throw .malformed
        }
    }

    /// Opens what `seal` made with the same key and associated data.
    public func open(_ sealed: String, associatedData: String) throws(SecretSealerError) -> [UInt8] {
        guard sealed.hasPrefix(Self.versionPrefix) else { throw .unsupportedVersion }
        let encoded = String(sealed.dropFirst(Self.versionPrefix.count))
        // Only the canonical encoding opens, so no two strings open to the same seed.
        guard let combined = Data(base64Encoded: encoded), combined.base64EncodedString() == encoded,
              combined.count >= 12 + 16
        else { throw .malformed }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(associatedData.utf8)))
        } catch {
            throw .authenticationFailed
        }
    }
}

/// Why `SecretSealer` refused.
public enum SecretSealerError: Error, Sendable, Equatable {
    /// The server secret key is shorter than 32 bytes.
    case secretKeyTooShort
    /// The sealed string does not start with a version this code reads.
    case unsupportedVersion
    /// The sealed string is not canonical base64 of at least a nonce and a tag.
    case malformed
    /// Wrong key, other associated data, or the sealed bytes were changed.
    case authenticationFailed
}

extension SecretSealer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never shows the key.
    public var description: String { "SecretSealer(key: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
