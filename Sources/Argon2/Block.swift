import Foundation

/// Argon2's 1 KiB memory block, seen as 128 64-bit words behind a pointer, and its compression function G.
///
/// This is the hot loop: every block of every pass goes through `compress`. It works on raw pointers with
/// wrapping arithmetic, so it does no bounds checks, no overflow checks and no allocation.
enum Block {
    static let words = 128
    static let bytes = 1024

    /// `next = G(previous, reference)`, or `next ^= G(previous, reference)` when `xor` (passes after the first).
    ///
    /// G (RFC 9106 §3.5): R = X ⊕ Y, permute R's eight rows then its eight columns with BlaMka, and XOR with R.
    /// `work` is a 128-word scratch block.
    @inline(__always)
    static func compress(
        previous: UnsafeMutablePointer<UInt64>, reference: UnsafeMutablePointer<UInt64>,
        into next: UnsafeMutablePointer<UInt64>, xor: Bool, work: UnsafeMutablePointer<UInt64>
    ) {
        if xor {
            for index in 0..<words {
                let r = previous[index] ^ reference[index]
                work[index] = r
                next[index] ^= r
            }
        } else {
            for index in 0..<words {
                let r = previous[index] ^ reference[index]
                work[index] = r
                next[index] = r
            }
        }
        permute(work)
        for index in 0..<words { next[index] ^= work[index] }
    }

    /// `next = G(0, input)`, for the address generator; `input` and `next` may be the same block.
    static func compressFromZero(
        _ input: UnsafeMutablePointer<UInt64>, into next: UnsafeMutablePointer<UInt64>, work: UnsafeMutablePointer<UInt64>
    ) {
        for index in 0..<words {
            work[index] = input[index]
        }
        for index in 0..<words { next[index] = work[index] }
        permute(work)
        for index in 0..<words { next[index] ^= work[index] }
    }

    /// P over the rows (words 16i..16i+15), then over the columns (words 2i, 2i+1, 2i+16, 2i+17, … 2i+113).
    @inline(__always)
    static func permute(_ r: UnsafeMutablePointer<UInt64>) {
        for row in 0..<8 {
            let base = r + row &* 16
            round(base, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        }
        for column in 0..<8 {
            let base = r + column &* 2
            round(base, 0, 1, 16, 17, 32, 33, 48, 49, 64, 65, 80, 81, 96, 97, 112, 113)
        }
    }

    /// The BLAKE2b round P on sixteen words at the given offsets from `base`, with BlaMka's multiplications.
    @inline(__always)
    static func round(
        _ base: UnsafeMutablePointer<UInt64>,
        _ i0: Int, _ i1: Int, _ i2: Int, _ i3: Int, _ i4: Int, _ i5: Int, _ i6: Int, _ i7: Int,
        _ i8: Int, _ i9: Int, _ i10: Int, _ i11: Int, _ i12: Int, _ i13: Int, _ i14: Int, _ i15: Int
    ) {
        var v0 = base[i0], v1 = base[i1], v2 = base[i2], v3 = base[i3]
        var v4 = base[i4], v5 = base[i5], v6 = base[i6], v7 = base[i7]
        var v8 = base[i8], v9 = base[i9], v10 = base[i10], v11 = base[i11]
        var v12 = base[i12], v13 = base[i13], v14 = base[i14], v15 = base[i15]
        mix(&v0, &v4, &v8, &v12)
        mix(&v1, &v5, &v9, &v13)
        mix(&v2, &v6, &v10, &v14)
        mix(&v3, &v7, &v11, &v15)
        mix(&v0, &v5, &v10, &v15)
        mix(&v1, &v6, &v11, &v12)
        mix(&v2, &v7, &v8, &v13)
        mix(&v3, &v4, &v9, &v14)
        base[i0] = v0; base[i1] = v1; base[i2] = v2; base[i3] = v3
        base[i4] = v4; base[i5] = v5; base[i6] = v6; base[i7] = v7
        base[i8] = v8; base[i9] = v9; base[i10] = v10; base[i11] = v11
        base[i12] = v12; base[i13] = v13; base[i14] = v14; base[i15] = v15
    }

    /// GB: BLAKE2b's G with each addition a + b replaced by BlaMka's a + b + 2 · lo32(a) · lo32(b).
    @inline(__always)
    static func mix(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64) {
        a = blamka(a, b)
        d = rotate(d ^ a, 32)
        c = blamka(c, d)
        b = rotate(b ^ c, 24)
        a = blamka(a, b)
        d = rotate(d ^ a, 16)
        c = blamka(c, d)
        b = rotate(b ^ c, 63)
    }

    @inline(__always)
    static func blamka(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let product = (x & 0xFFFF_FFFF) &* (y & 0xFFFF_FFFF)
        return x &+ y &+ (product &<< 1)
    }

    @inline(__always)
    static func rotate(_ x: UInt64, _ count: UInt64) -> UInt64 {
        (x &>> count) | (x &<< (64 &- count))
    }

    /// Converts a block just written as little-endian bytes to host-order words (a no-op on x86 and ARM).
    static func fromLittleEndian(_ block: UnsafeMutablePointer<UInt64>) {
        for index in 0..<words { block[index] = UInt64(littleEndian: block[index]) }
    }

    /// Overwrites memory with zeros in a way the optimiser may not remove as a dead store before `free`.
    static func wipe(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        #if canImport(Darwin)
        _ = memset_s(pointer, byteCount, 0, byteCount)
        #else
        explicit_bzero(pointer, byteCount)
        #endif
    }
}
