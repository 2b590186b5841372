import Crypto

/// The hash chain of docs/audit.md, one per account:
///
/// ```text
/// hash = lowercase hex of SHA-256( previous_hash || canonical(entry) )
/// canonical(entry) = for each field of AuditEntry.canonicalFieldNames, in order:
///                    "-,"                     when the field is NULL
///                    "<n>:<UTF-8 bytes>,"     otherwise, n = the byte count in decimal (a netstring)
/// ```
///
/// `previous_hash` is the previous entry's `hash` as 64 lowercase hex digits (ASCII), or
/// ``genesis`` (64 zeros) for sequence 1. Netstrings need no escaping, so any tool can recompute
/// a hash from an export without knowing how this program encodes JSON.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    public static func canonical(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            guard let field else {
                bytes += Array("-,".utf8)
                continue
            }
            let utf8 = Array(field.utf8)
            bytes += Array("\(utf8.count):".utf8)
            bytes += utf8
            bytes.append(UInt8(ascii: ","))
        }
        return bytes
    }

    public static func hash(previous: String, fields: [String?]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previous.utf8))
        hasher.update(data: canonical(fields))
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hash this entry should carry after `previous`.
    public static func hash(of entry: AuditEntry, previous: String) -> String {
        hash(previous: previous, fields: entry.canonicalFields)
    }
}
