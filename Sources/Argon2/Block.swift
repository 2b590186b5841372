import Foundation

/// Argon2's 1 KiB memory block, seen as 64 pairs of 64-bit words behind a pointer, and its compression function G.
///
/// This is the hot loop: every block of every pass goes through `compress`. It works on raw pointers with
/// wrapping arithmetic, so it does no bounds checks, no overflow checks and no allocation. Words are handled in
/// pairs (`SIMD2<UInt64>`, one 128-bit register), as libargon2's SSE2 code does: BlaMka's two 32×32-bit
/// multiplications become one `pmuludq`.
enum Block {
    typealias Pair = SIMD2<UInt64>
    /// Pairs of words per block.
    static let pairs = 64
    static let words = 128
    static let bytes = 1024

    /// One step of a segment: `state` holds the previous block; it becomes G(previous, reference), which is
    /// stored into `next` (v1.3 passes after the first XOR it into `next`'s old contents instead), and stays in
    /// `state` as the previous block of the following step.
    ///
    /// G (RFC 9106 §3.5): R = X ⊕ Y, permute R's eight rows then its eight columns with BlaMka, XOR with R.
    /// `saved` is a 64-pair scratch block; `reference` may be `next`.
    @inline(__always)
    static func compress(
        state: UnsafeMutablePointer<Pair>, reference: UnsafeMutablePointer<Pair>,
        into next: UnsafeMutablePointer<Pair>, xor: Bool, saved: UnsafeMutablePointer<Pair>
    ) {
        if xor {
            for index in 0..<pairs {
                let r = state[index] ^ reference[index]
                state[index] = r
                saved[index] = r ^ next[index]
            }
        } else {
            for index in 0..<pairs {
                let r = state[index] ^ reference[index]
                state[index] = r
                saved[index] = r
            }
        }
        for row in 0..<8 {
            let base = state + row &* 8
            round(&base[0], &base[1], &base[2], &base[3], &base[4], &base[5], &base[6], &base[7])
        }
        for column in 0..<8 {
            let base = state + column
            round(&base[0], &base[8], &base[16], &base[24], &base[32], &base[40], &base[48], &base[56])
        }
        for index in 0..<pairs {
            let result = state[index] ^ saved[index]
            state[index] = result
            next[index] = result
        }
    }

    /// The BLAKE2b round P on sixteen words v0…v15 held as eight pairs (v0, v1), (v2, v3) … (v14, v15):
    /// G on the columns (v0, v4, v8, v12) …, then on the diagonals (v0, v5, v10, v15) …, with BlaMka.
    @inline(__always)
    static func round(
        _ a0: inout Pair, _ a1: inout Pair, _ b0: inout Pair, _ b1: inout Pair,
        _ c0: inout Pair, _ c1: inout Pair, _ d0: inout Pair, _ d1: inout Pair
    ) {
        mix(&a0, &b0, &c0, &d0)
        mix(&a1, &b1, &c1, &d1)
        // Diagonalise: pair (v0, v1) with (v5, v6), (v10, v11), (v15, v12); (v2, v3) with (v7, v4), (v8, v9), (v13, v14).
        var e0 = Pair(b0[1], b1[0]), e1 = Pair(b1[1], b0[0])
        var h0 = Pair(d1[1], d0[0]), h1 = Pair(d0[1], d1[0])
        mix(&a0, &e0, &c1, &h0)
        mix(&a1, &e1, &c0, &h1)
        b0 = Pair(e1[1], e0[0])
        b1 = Pair(e0[1], e1[0])
        d0 = Pair(h0[1], h1[0])
        d1 = Pair(h1[1], h0[0])
    }

    /// GB on two columns at once: BLAKE2b's G with each a + b replaced by BlaMka's a + b + 2 · lo32(a) · lo32(b).
    @inline(__always)
    static func mix(_ a: inout Pair, _ b: inout Pair, _ c: inout Pair, _ d: inout Pair) {
        a = blamka(a, b)
        d = rotate32(d ^ a)
        c = blamka(c, d)
        b = rotate24(b ^ c)
        a = blamka(a, b)
        d = rotate16(d ^ a)
        c = blamka(c, d)
        b = rotate63(b ^ c)
    }

    @inline(__always)
    static func blamka(_ x: Pair, _ y: Pair) -> Pair {
        let low = Pair(repeating: 0xFFFF_FFFF)
        let product = (x & low) &* (y & low)
        return x &+ y &+ (product &+ product)
    }

    // Rotations right, written as the shuffles and shifts SSE2 has: LLVM turns the plain
    // `(x >> n) | (x << (64 - n))` on a vector into a rotate and then scalarises it, four times slower.

    /// Swaps the 32-bit halves of each word (`pshufd`).
    @inline(__always)
    static func rotate32(_ x: Pair) -> Pair {
        let halves = unsafeBitCast(x, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4<UInt32>(halves[1], halves[0], halves[3], halves[2]), to: Pair.self)
    }

    /// Moves each word's bytes down by three (two shifts and an OR).
    @inline(__always)
    static func rotate24(_ x: Pair) -> Pair {
        let v = unsafeBitCast(x, to: SIMD16<UInt8>.self)
        return unsafeBitCast(SIMD16<UInt8>(
            v[3], v[4], v[5], v[6], v[7], v[0], v[1], v[2],
            v[11], v[12], v[13], v[14], v[15], v[8], v[9], v[10]), to: Pair.self)
    }

    /// Moves each word's 16-bit quarters down by one (`pshuflw`, `pshufhw`).
    @inline(__always)
    static func rotate16(_ x: Pair) -> Pair {
        let v = unsafeBitCast(x, to: SIMD16<UInt8>.self)
        return unsafeBitCast(SIMD16<UInt8>(
            v[2], v[3], v[4], v[5], v[6], v[7], v[0], v[1],
            v[10], v[11], v[12], v[13], v[14], v[15], v[8], v[9]), to: Pair.self)
    }

    /// Rotation right by 63 is left by one: x + x, plus the top bit.
    @inline(__always)
    static func rotate63(_ x: Pair) -> Pair {
        (x &>> 63) ^ (x &+ x)
    }

    /// Converts a block just written as little-endian bytes to host-order words (a no-op on x86 and ARM).
    static func fromLittleEndian(_ block: UnsafeMutablePointer<Pair>) {
        for index in 0..<pairs {
            block[index] = Pair(UInt64(littleEndian: block[index][0]), UInt64(littleEndian: block[index][1]))
        }
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
