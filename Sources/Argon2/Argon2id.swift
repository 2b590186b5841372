import Dispatch
import Foundation

/// Argon2id (RFC 9106), the password hash: memory-hard, with data-independent addressing for the first half
/// of the first pass and data-dependent addressing after it.
///
/// ```swift
/// let tag = try Argon2id.hash(
///     password: Array("password".utf8), salt: Array("somesalt".utf8),
///     parameters: Argon2Parameters(memoryKiB: 65536, iterations: 3, parallelism: 4))
/// ```
///
/// Lanes run in parallel, one thread per lane, when p > 1. The working memory (m KiB) is allocated once,
/// filled with unchecked pointer arithmetic, and overwritten with zeros before it is freed.
public enum Argon2id {
    /// Argon2 version 1.3, the only one RFC 9106 specifies and the one libargon2 writes as `v=19`.
    public static let version: UInt32 = 0x13
    /// Version 1.0, which libargon2 still verifies when a PHC string has no `v=` field.
    static let legacyVersion: UInt32 = 0x10
    /// Argon2's type number y for Argon2id.
    static let type: UInt32 = 2
    /// The shortest salt libargon2 accepts.
    public static let minSaltLength = 8
    /// The shortest tag RFC 9106 allows.
    public static let minTagLength = 4

    /// The `length`-byte Argon2id tag of `password`.
    ///
    /// The secret (K) and associated data (X) are optional, as in RFC 9106. Throws on parameters outside the RFC's
    /// ranges, a salt shorter than 8 bytes, or memory that cannot be allocated; callers taking parameters from
    /// untrusted input must cap the memory first (`PasswordHasher` does).
    public static func hash(
        password: [UInt8], salt: [UInt8], secret: [UInt8] = [], associatedData: [UInt8] = [],
        parameters: Argon2Parameters, length: Int = 32
    ) throws -> [UInt8] {
        try hash(
            password: password, salt: salt, secret: secret, associatedData: associatedData,
            parameters: parameters, length: length, version: version)
    }

    static func hash(
        password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8],
        parameters: Argon2Parameters, length: Int, version: UInt32
    ) throws -> [UInt8] {
        try parameters.validate()
        guard version == Self.version || version == legacyVersion else { throw Argon2Error.unsupportedVersion }
        guard length >= minTagLength, UInt64(length) <= UInt64(UInt32.max) else {
            throw Argon2Error.invalidOutputLength.detail("tag length \(length) is not in 4...2^32 - 1")
        }
        guard salt.count >= minSaltLength else { throw Argon2Error.saltTooShort }
        for input in [password, salt, secret, associatedData] where UInt64(input.count) > UInt64(UInt32.max) {
            throw Argon2Error.inputTooLong
        }

        var initialHash = initialHash(
            password: password, salt: salt, secret: secret, associatedData: associatedData,
            parameters: parameters, length: length, version: version)
        defer { zero(&initialHash) }

        let geometry = Geometry(parameters: parameters, version: version)
        let memory = try WorkingMemory(blockCount: geometry.blockCount)
        defer { memory.release() }

        try fillFirstBlocks(memory.blocks, initialHash: initialHash, geometry: geometry)
        fillMemory(memory.blocks, geometry: geometry)
        return try finalize(memory.blocks, geometry: geometry, length: length)
    }

    /// H0 (RFC 9106 §3.2 step 1): every parameter and input, length-prefixed, through BLAKE2b-512.
    static func initialHash(
        password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8],
        parameters: Argon2Parameters, length: Int, version: UInt32
    ) -> [UInt8] {
        // A 64-byte BLAKE2b without a key cannot fail.
        var hasher = try! Blake2b(outputLength: 64)
        hasher.update(littleEndian: parameters.parallelism)
        hasher.update(littleEndian: UInt32(length))
        hasher.update(littleEndian: parameters.memoryKiB)
        hasher.update(littleEndian: parameters.iterations)
        hasher.update(littleEndian: version)
        hasher.update(littleEndian: type)
        for input in [password, salt, secret, associatedData] {
            hasher.update(littleEndian: UInt32(input.count))
            hasher.update(input)
        }
        return hasher.finalize()
    }

    /// B[i][0] and B[i][1] of each lane: H'(H0 || LE32(column) || LE32(lane)), 1024 bytes each.
    static func fillFirstBlocks(_ memory: UnsafeMutablePointer<Block.Pair>, initialHash: [UInt8], geometry: Geometry) throws {
        for lane in 0..<geometry.lanes {
            for column in 0..<2 {
                let block = memory + (lane * geometry.laneLength + column) * Block.pairs
                let suffix = littleEndianBytes(UInt32(column)) + littleEndianBytes(UInt32(lane))
                try Blake2b.variableLengthHash(
                    [initialHash, suffix],
                    into: UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(block), count: Block.bytes))
                Block.fromLittleEndian(block)
            }
        }
    }

    /// At most this many threads fill one hash's lanes; lanes beyond it share threads.
    static let maxThreads = 64

    /// Every pass, slice by slice. With p > 1 the lanes run on p threads (the caller and p - 1 started for
    /// this hash, as libargon2 does), which meet after each slice.
    ///
    /// Dedicated threads rather than `DispatchQueue.concurrentPerform`: Dispatch caps a hash at one thread per
    /// core, so on a busy machine it gets a smaller share of the CPU than libargon2 and took 1.1–1.2× its
    /// wall-clock time with the same CPU time.
    static func fillMemory(_ memory: UnsafeMutablePointer<Block.Pair>, geometry: Geometry) {
        let threads = min(geometry.lanes, maxThreads)
        guard threads > 1 else {
            for pass in 0..<geometry.passes {
                for slice in 0..<Geometry.syncPoints {
                    for lane in 0..<geometry.lanes {
                        fillSegment(memory, geometry: geometry, pass: pass, lane: lane, slice: slice)
                    }
                }
            }
            return
        }
        // The lanes of one slice write disjoint segments and read only blocks finished before the slice began,
        // and every thread meets the others at a semaphore barrier after each slice: sharing the pointer is
        // race-free, which the compiler cannot see.
        nonisolated(unsafe) let shared = memory
        let finished = DispatchSemaphore(value: 0)
        let proceed = (1..<threads).map { _ in DispatchSemaphore(value: 0) }
        // Thread 0 (the caller) coordinates: it waits for the others to finish the slice, then releases them.
        @Sendable func run(thread: Int) {
            for pass in 0..<geometry.passes {
                for slice in 0..<Geometry.syncPoints {
                    for lane in stride(from: thread, to: geometry.lanes, by: threads) {
                        fillSegment(shared, geometry: geometry, pass: pass, lane: lane, slice: slice)
                    }
                    if thread == 0 {
                        for _ in 1..<threads { finished.wait() }
                        for semaphore in proceed { semaphore.signal() }
                    } else {
                        finished.signal()
                        proceed[thread - 1].wait()
                    }
                }
            }
        }
        for thread in 1..<threads {
            Thread { run(thread: thread) }.start()
        }
        run(thread: 0)
    }

    /// The tag: H'^T of the XOR of every lane's last block.
    static func finalize(_ memory: UnsafeMutablePointer<Block.Pair>, geometry: Geometry, length: Int) throws -> [UInt8] {
        var last = [UInt8](repeating: 0, count: Block.bytes)
        last.withUnsafeMutableBytes { bytes in
            var sum = [Block.Pair](repeating: .zero, count: Block.pairs)
            for lane in 0..<geometry.lanes {
                let block = memory + (lane * geometry.laneLength + geometry.laneLength - 1) * Block.pairs
                for index in 0..<Block.pairs { sum[index] ^= block[index] }
            }
            for index in 0..<Block.pairs {
                bytes.storeBytes(of: sum[index][0].littleEndian, toByteOffset: index * 16, as: UInt64.self)
                bytes.storeBytes(of: sum[index][1].littleEndian, toByteOffset: index * 16 + 8, as: UInt64.self)
                sum[index] = .zero
            }
        }
        defer { zero(&last) }
        return try Blake2b.variableLengthHash([last], outputLength: length)
    }

    /// Fills one segment of one lane (RFC 9106 §3.4): each block is G(previous block, a pseudo-randomly chosen
    /// reference block), XORed into the old contents from the second pass on (version 1.3).
    static func fillSegment(_ memory: UnsafeMutablePointer<Block.Pair>, geometry: Geometry, pass: Int, lane: Int, slice: Int) {
        let laneLength = geometry.laneLength
        let segmentLength = geometry.segmentLength
        let dataIndependent = pass == 0 && slice < Geometry.syncPoints / 2

        // Scratch: the running previous block, G's saved input, and the address generator's input, output and state.
        let scratchPairs = 5 * Block.pairs
        let scratch = UnsafeMutablePointer<Block.Pair>.allocate(capacity: scratchPairs)
        scratch.initialize(repeating: .zero, count: scratchPairs)
        defer {
            Block.wipe(UnsafeMutableRawPointer(scratch), byteCount: scratchPairs * MemoryLayout<Block.Pair>.stride)
            scratch.deallocate()
        }
        let state = scratch
        let saved = scratch + Block.pairs
        let addressInput = scratch + 2 * Block.pairs
        let addresses = scratch + 3 * Block.pairs
        let generator = Generator(input: addressInput, output: addresses, state: scratch + 4 * Block.pairs, saved: saved)
        if dataIndependent {
            addressInput[0] = Block.Pair(UInt64(pass), UInt64(lane))
            addressInput[1] = Block.Pair(UInt64(slice), UInt64(geometry.blockCount))
            addressInput[2] = Block.Pair(UInt64(geometry.passes), UInt64(type))
        }

        var startIndex = 0
        if pass == 0 && slice == 0 {
            startIndex = 2
            if dataIndependent { generator.next() }
        }
        var currentOffset = lane * laneLength + slice * segmentLength + startIndex
        let previousOffset = currentOffset % laneLength == 0 ? currentOffset + laneLength - 1 : currentOffset - 1
        let xorIntoOld = pass != 0 && geometry.version != legacyVersion
        // The reference window starts after this segment in later passes, at the lane's start in the first.
        let windowStart = pass == 0 || slice == Geometry.syncPoints - 1 ? 0 : (slice + 1) * segmentLength
        // Blocks finished before this segment: earlier slices in the first pass, the other three after it.
        let finishedBlocks = pass == 0 ? slice * segmentLength : laneLength - segmentLength
        let lanes = UInt64(geometry.lanes)
        state.update(from: memory + previousOffset * Block.pairs, count: Block.pairs)

        var index = startIndex
        while index < segmentLength {
            let pseudoRandom: UInt64
            if dataIndependent {
                if index & (Block.words - 1) == 0 { generator.next() }
                let word = index & (Block.words - 1)
                pseudoRandom = addresses[word &>> 1][word & 1]
            } else {
                // `state` holds the previous block.
                pseudoRandom = state[0][0]
            }
            // The first slice of the first pass stays in its own lane; so does a single lane (skip the division).
            let referenceLane = pass == 0 && slice == 0 || lanes == 1
                ? lane : Int(truncatingIfNeeded: (pseudoRandom &>> 32) % lanes)

            // The reference area: every finished block of the reference lane, plus, in this lane, the blocks of
            // this segment before the previous one; in another lane, minus its last block when this is the
            // segment's first block (that block may still be being written).
            let areaSize: Int
            if referenceLane == lane {
                areaSize = finishedBlocks &+ index &- 1
            } else {
                areaSize = finishedBlocks &- (index == 0 ? 1 : 0)
            }
            // Map the low 32 bits non-uniformly onto the area, favouring recent blocks (RFC 9106 §3.4.2).
            var relative = pseudoRandom & 0xFFFF_FFFF
            relative = (relative &* relative) &>> 32
            relative = UInt64(areaSize) &- 1 &- ((UInt64(areaSize) &* relative) &>> 32)
            // Both terms are below the lane length, so one subtraction does the modulo.
            var referenceIndex = windowStart &+ Int(truncatingIfNeeded: relative)
            if referenceIndex >= laneLength { referenceIndex &-= laneLength }

            let reference = memory + (referenceLane &* laneLength &+ referenceIndex) &* Block.pairs
            Block.compress(
                state: state, reference: reference,
                into: memory + currentOffset &* Block.pairs, xor: xorIntoOld, saved: saved)

            index &+= 1
            currentOffset &+= 1
        }
    }

    /// Argon2i's address generator: each call increments the counter in `input` and sets `output` to
    /// G(0, G(0, input)), 128 pseudo-random words for the next 128 blocks.
    struct Generator {
        let input: UnsafeMutablePointer<Block.Pair>
        let output: UnsafeMutablePointer<Block.Pair>
        /// A scratch block for G's zero input.
        let state: UnsafeMutablePointer<Block.Pair>
        /// G's scratch block, shared with the segment's own compressions.
        let saved: UnsafeMutablePointer<Block.Pair>

        func next() {
            input[3][0] &+= 1
            state.update(repeating: .zero, count: Block.pairs)
            Block.compress(state: state, reference: input, into: output, xor: false, saved: saved)
            state.update(repeating: .zero, count: Block.pairs)
            Block.compress(state: state, reference: output, into: output, xor: false, saved: saved)
        }
    }

    static func littleEndianBytes(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
    }
}

extension Argon2id {
    /// The memory layout: p lanes of q = m' / p blocks, each lane cut into four segments.
    struct Geometry: Sendable {
        static let syncPoints = 4
        let lanes: Int
        let laneLength: Int
        let segmentLength: Int
        let blockCount: Int
        let passes: Int
        let version: UInt32

        init(parameters: Argon2Parameters, version: UInt32) {
            lanes = Int(parameters.parallelism)
            // m' = 4p * floor(m / 4p): memory is rounded down to a whole number of segments.
            segmentLength = Int(parameters.memoryKiB) / (Self.syncPoints * lanes)
            laneLength = segmentLength * Self.syncPoints
            blockCount = laneLength * lanes
            passes = Int(parameters.iterations)
            self.version = version
        }
    }

    /// The m' blocks of working memory: 64-byte aligned (2 MiB and huge pages when that large), zeroed before
    /// they are freed.
    struct WorkingMemory {
        let blocks: UnsafeMutablePointer<Block.Pair>
        let byteCount: Int

        init(blockCount: Int) throws {
            let (byteCount, overflow) = blockCount.multipliedReportingOverflow(by: Block.bytes)
            guard !overflow else { throw Argon2Error.outOfMemory }
            var raw: UnsafeMutableRawPointer?
            // Large areas are aligned to 2 MiB and offered transparent huge pages: the reference blocks are read
            // at random, and 4 KiB pages would cost a TLB miss on most of them.
            let hugePage = 2 << 20
            let alignment = byteCount >= hugePage ? hugePage : 64
            guard posix_memalign(&raw, alignment, byteCount) == 0, let raw else {
                throw Argon2Error.outOfMemory.detail("could not allocate \(byteCount / 1024) KiB of Argon2 working memory")
            }
            #if os(Linux)
            if alignment == hugePage { _ = madvise(raw, byteCount, MADV_HUGEPAGE) }
            #endif
            blocks = raw.bindMemory(to: Block.Pair.self, capacity: blockCount * Block.pairs)
            self.byteCount = byteCount
        }

        func release() {
            Block.wipe(UnsafeMutableRawPointer(blocks), byteCount: byteCount)
            free(blocks)
        }
    }
}
