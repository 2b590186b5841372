/// BLAKE2b (RFC 7693): a hash with any output length from 1 to 64 bytes and an optional key of up to 64 bytes.
///
/// Argon2 uses it for its initial hash H0 and, through `Blake2b.variableLengthHash`, for the first blocks
/// of each lane and the final tag.
///
/// ```swift
/// var hasher = try Blake2b(outputLength: 32)
/// hasher.update(Array("abc".utf8))
/// let digest = hasher.finalize()   // 32 bytes
/// ```
public struct Blake2b: Sendable {
    /// The longest digest and the longest key, in bytes.
    public static let maxOutputLength = 64
    public static let maxKeyLength = 64
    static let blockLength = 128

    static let iv: [UInt64] = [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ]

    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    /// The digest length in bytes, fixed at initialisation.
    public let outputLength: Int
    private var state: [UInt64]
    /// Bytes not yet compressed; never more than one block, because the last block is compressed differently.
    private var buffer: [UInt8]
    private var byteCount: UInt64 = 0
    private var byteCountHigh: UInt64 = 0

    /// Starts a hash of `outputLength` bytes, keyed when `key` is not empty.
    public init(outputLength: Int = 64, key: [UInt8] = []) throws {
        guard (1...Self.maxOutputLength).contains(outputLength) else {
            throw Argon2Error.invalidOutputLength.detail("BLAKE2b output length \(outputLength) is not in 1...64")
        }
        guard key.count <= Self.maxKeyLength else { throw Argon2Error.invalidKeyLength }
        self.outputLength = outputLength
        state = Self.iv
        state[0] ^= 0x0101_0000 ^ (UInt64(key.count) << 8) ^ UInt64(outputLength)
        buffer = []
        buffer.reserveCapacity(Self.blockLength)
        if !key.isEmpty {
            buffer = key + [UInt8](repeating: 0, count: Self.blockLength - key.count)
        }
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Absorbs the bytes in `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            if buffer.count == Self.blockLength {
                compressBuffer(isLast: false)
            }
            let take = min(Self.blockLength - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: bytes[offset..<(offset + take)])
            offset += take
        }
    }

    /// Absorbs `value` as four little-endian bytes, as Argon2 encodes its lengths and parameters.
    mutating func update(littleEndian value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// Returns the digest of everything absorbed.
    public consuming func finalize() -> [UInt8] {
        compressBuffer(isLast: true)
        var digest = [UInt8](repeating: 0, count: outputLength)
        state.withUnsafeBytes { words in
            for index in 0..<outputLength {
                // The state words are stored in host order; the digest is their little-endian encoding.
                digest[index] = UInt8(truncatingIfNeeded: words.load(fromByteOffset: (index / 8) * 8, as: UInt64.self) >> (UInt64(index % 8) * 8))
            }
        }
        for index in state.indices { state[index] = 0 }
        return digest
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8], outputLength: Int = 64, key: [UInt8] = []) throws -> [UInt8] {
        var hasher = try Blake2b(outputLength: outputLength, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    private mutating func compressBuffer(isLast: Bool) {
        let length = UInt64(buffer.count)
        byteCount &+= length
        if byteCount < length { byteCountHigh &+= 1 }
        if buffer.count < Self.blockLength {
            buffer.append(contentsOf: repeatElement(0, count: Self.blockLength - buffer.count))
        }
        let counterLow = byteCount, counterHigh = byteCountHigh
        buffer.withUnsafeBytes { block in
            state.withUnsafeMutableBufferPointer { words in
                Self.compress(words.baseAddress!, block: block, counterLow: counterLow, counterHigh: counterHigh, isLast: isLast)
            }
        }
        // The buffer may hold a password or key: overwrite it before its storage is reused or freed.
        for index in buffer.indices { buffer[index] = 0 }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The compression function F of RFC 7693 §3.2 over one 128-byte block.
    static func compress(
        _ h: UnsafeMutablePointer<UInt64>, block: UnsafeRawBufferPointer,
        counterLow: UInt64, counterHigh: UInt64, isLast: Bool
    ) {
        var m = [UInt64](repeating: 0, count: 16)
        for index in 0..<16 {
            m[index] = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
        }
        var v = [UInt64](repeating: 0, count: 16)
        for index in 0..<8 {
            v[index] = h[index]
            v[index + 8] = iv[index]
        }
        v[12] ^= counterLow
        v[13] ^= counterHigh
        if isLast { v[14] = ~v[14] }

        func mix(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64) {
            v[a] = v[a] &+ v[b] &+ x
            v[d] = rotateRight(v[d] ^ v[a], 32)
            v[c] = v[c] &+ v[d]
            v[b] = rotateRight(v[b] ^ v[c], 24)
            v[a] = v[a] &+ v[b] &+ y
            v[d] = rotateRight(v[d] ^ v[a], 16)
            v[c] = v[c] &+ v[d]
            v[b] = rotateRight(v[b] ^ v[c], 63)
        }
        for round in 0..<12 {
            let s = sigma[round % 10]
            mix(0, 4, 8, 12, m[s[0]], m[s[1]])
            mix(1, 5, 9, 13, m[s[2]], m[s[3]])
            mix(2, 6, 10, 14, m[s[4]], m[s[5]])
            mix(3, 7, 11, 15, m[s[6]], m[s[7]])
            mix(0, 5, 10, 15, m[s[8]], m[s[9]])
            mix(1, 6, 11, 12, m[s[10]], m[s[11]])
            mix(2, 7, 8, 13, m[s[12]], m[s[13]])
            mix(3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for index in 0..<8 {
            h[index] ^= v[index] ^ v[index + 8]
        }
        for index in 0..<16 {
            m[index] = 0
            v[index] = 0
        }
    }
}

@inline(__always)
func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
    (value >> count) | (value << (64 &- count))
}

extension Blake2b {
    /// Argon2's variable-length hash H' (RFC 9106 §3.3): `outputLength` bytes from BLAKE2b-512 chained.
    ///
    /// The parts are hashed as if concatenated, after the output length as a 32-bit little-endian prefix.
    static func variableLengthHash(_ parts: [[UInt8]], outputLength: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outputLength)
        try output.withUnsafeMutableBytes { try variableLengthHash(parts, into: $0) }
        return output
    }

    /// H' writing straight into `output`, whose length is the output length (at least 1 byte).
    static func variableLengthHash(_ parts: [[UInt8]], into output: UnsafeMutableRawBufferPointer) throws {
        let outputLength = output.count
        guard outputLength >= 1, UInt64(outputLength) <= UInt64(UInt32.max) else {
            throw Argon2Error.invalidOutputLength
        }
        var hasher = try Blake2b(outputLength: min(outputLength, maxOutputLength))
        hasher.update(littleEndian: UInt32(outputLength))
        for part in parts { hasher.update(part) }
        var digest = hasher.finalize()
        if outputLength <= maxOutputLength {
            output.copyBytes(from: digest)
            zero(&digest)
            return
        }
        // r = ceil(T / 32) - 2 full 64-byte hashes contribute their first 32 bytes; the last one fills the rest.
        let fullHashes = (outputLength + 31) / 32 - 2
        var written = 0
        for _ in 1..<fullHashes {
            output.baseAddress!.advanced(by: written).copyMemory(from: digest, byteCount: 32)
            written += 32
            let next = try Blake2b.hash(digest)
            zero(&digest)
            digest = next
        }
        output.baseAddress!.advanced(by: written).copyMemory(from: digest, byteCount: 32)
        written += 32
        var last = try Blake2b.hash(digest, outputLength: outputLength - written)
        output.baseAddress!.advanced(by: written).copyMemory(from: last, byteCount: last.count)
        zero(&digest)
        zero(&last)
    }
}

/// Overwrites secret bytes held in an array before it is released.
func zero(_ bytes: inout [UInt8]) {
    for index in bytes.indices { bytes[index] = 0 }
}
