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
/// Lanes run in parallel on Dispatch's pool when p > 1. The working memory (m KiB) is allocated once,
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
    static func fillFirstBlocks(_ memory: UnsafeMutablePointer<UInt64>, initialHash: [UInt8], geometry: Geometry) throws {
        for lane in 0..<geometry.lanes {
            for column in 0..<2 {
                let block = memory + (lane * geometry.laneLength + column) * Block.words
                let suffix = littleEndianBytes(UInt32(column)) + littleEndianBytes(UInt32(lane))
                try Blake2b.variableLengthHash(
                    [initialHash, suffix],
                    into: UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(block), count: Block.bytes))
                Block.fromLittleEndian(block)
            }
        }
    }

    /// Every pass, slice by slice; the lanes of a slice run in parallel and meet before the next slice.
    static func fillMemory(_ memory: UnsafeMutablePointer<UInt64>, geometry: Geometry) {
        for pass in 0..<geometry.passes {
            for slice in 0..<Geometry.syncPoints {
                if geometry.lanes == 1 {
                    fillSegment(memory, geometry: geometry, pass: pass, lane: 0, slice: slice)
                } else {
                    // The lanes of one slice write disjoint segments and read only blocks finished before the
                    // slice began; concurrentPerform returns after every lane, which is the slice's barrier.
                    // So sharing the pointer is race-free, which the compiler cannot see.
                    nonisolated(unsafe) let shared = memory
                    DispatchQueue.concurrentPerform(iterations: geometry.lanes) { lane in
                        fillSegment(shared, geometry: geometry, pass: pass, lane: lane, slice: slice)
                    }
                }
            }
        }
    }

    /// The tag: H'^T of the XOR of every lane's last block.
    static func finalize(_ memory: UnsafeMutablePointer<UInt64>, geometry: Geometry, length: Int) throws -> [UInt8] {
        var last = [UInt8](repeating: 0, count: Block.bytes)
        last.withUnsafeMutableBytes { bytes in
            let words = bytes.baseAddress!.assumingMemoryBound(to: UInt64.self)
            for lane in 0..<geometry.lanes {
                let block = memory + (lane * geometry.laneLength + geometry.laneLength - 1) * Block.words
                for index in 0..<Block.words { words[index] ^= block[index] }
            }
            for index in 0..<Block.words { words[index] = words[index].littleEndian }
        }
        defer { zero(&last) }
        return try Blake2b.variableLengthHash([last], outputLength: length)
    }

    /// Fills one segment of one lane (RFC 9106 §3.4): each block is G(previous block, a pseudo-randomly chosen
    /// reference block), XORed into the old contents from the second pass on (version 1.3).
    static func fillSegment(_ memory: UnsafeMutablePointer<UInt64>, geometry: Geometry, pass: Int, lane: Int, slice: Int) {
        let laneLength = geometry.laneLength
        let segmentLength = geometry.segmentLength
        let dataIndependent = pass == 0 && slice < Geometry.syncPoints / 2

        // Scratch: the compression's working block, and the address generator's input and output blocks.
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 3 * Block.words)
        scratch.initialize(repeating: 0, count: 3 * Block.words)
        defer {
            Block.wipe(UnsafeMutableRawPointer(scratch), byteCount: 3 * Block.bytes)
            scratch.deallocate()
        }
        let work = scratch
        let addressInput = scratch + Block.words
        let addresses = scratch + 2 * Block.words
        if dataIndependent {
            addressInput[0] = UInt64(pass)
            addressInput[1] = UInt64(lane)
            addressInput[2] = UInt64(slice)
            addressInput[3] = UInt64(geometry.blockCount)
            addressInput[4] = UInt64(geometry.passes)
            addressInput[5] = UInt64(type)
        }

        var startIndex = 0
        if pass == 0 && slice == 0 {
            startIndex = 2
            if dataIndependent { nextAddresses(addresses, input: addressInput, work: work) }
        }
        var currentOffset = lane * laneLength + slice * segmentLength + startIndex
        var previousOffset = currentOffset % laneLength == 0 ? currentOffset + laneLength - 1 : currentOffset - 1
        let xorIntoOld = pass != 0 && geometry.version != legacyVersion
        // The reference window starts after this segment in later passes, at the lane's start in the first.
        let windowStart = pass == 0 || slice == Geometry.syncPoints - 1 ? 0 : (slice + 1) * segmentLength
        // Blocks finished before this segment: earlier slices in the first pass, the other three after it.
        let finishedBlocks = pass == 0 ? slice * segmentLength : laneLength - segmentLength
        let lanes = UInt64(geometry.lanes)

        var index = startIndex
        while index < segmentLength {
            if currentOffset % laneLength == 1 { previousOffset = currentOffset - 1 }
            let pseudoRandom: UInt64
            if dataIndependent {
                if index % Block.words == 0 { nextAddresses(addresses, input: addressInput, work: work) }
                pseudoRandom = addresses[index % Block.words]
            } else {
                pseudoRandom = memory[previousOffset * Block.words]
            }
            let referenceLane = pass == 0 && slice == 0 ? lane : Int(truncatingIfNeeded: (pseudoRandom >> 32) % lanes)

            // The reference area: every finished block of the reference lane, plus, in this lane, the blocks of
            // this segment before the previous one; in another lane, minus its last block when this is the
            // segment's first block (that block may still be being written).
            let areaSize: Int
            if referenceLane == lane {
                areaSize = finishedBlocks + index - 1
            } else {
                areaSize = finishedBlocks - (index == 0 ? 1 : 0)
            }
            var relative = pseudoRandom & 0xFFFF_FFFF
            relative = (relative &* relative) &>> 32
            relative = UInt64(areaSize) &- 1 &- ((UInt64(areaSize) &* relative) &>> 32)
            let referenceIndex = (windowStart &+ Int(truncatingIfNeeded: relative)) % laneLength

            let reference = memory + (referenceLane * laneLength + referenceIndex) * Block.words
            Block.compress(
                previous: memory + previousOffset * Block.words, reference: reference,
                into: memory + currentOffset * Block.words, xor: xorIntoOld, work: work)

            index &+= 1
            currentOffset &+= 1
            previousOffset &+= 1
        }
    }

    /// The next block of data-independent addresses: G(0, G(0, input)) after incrementing the input's counter.
    static func nextAddresses(
        _ addresses: UnsafeMutablePointer<UInt64>, input: UnsafeMutablePointer<UInt64>, work: UnsafeMutablePointer<UInt64>
    ) {
        input[6] &+= 1
        Block.compressFromZero(input, into: addresses, work: work)
        Block.compressFromZero(addresses, into: addresses, work: work)
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

    /// The m' blocks of working memory, aligned for the cache, zeroed before they are freed.
    struct WorkingMemory {
        let blocks: UnsafeMutablePointer<UInt64>
        let byteCount: Int

        init(blockCount: Int) throws {
            let (byteCount, overflow) = blockCount.multipliedReportingOverflow(by: Block.bytes)
            guard !overflow else { throw Argon2Error.outOfMemory }
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, byteCount) == 0, let raw else {
                throw Argon2Error.outOfMemory.detail("could not allocate \(byteCount / 1024) KiB of Argon2 working memory")
            }
            blocks = raw.bindMemory(to: UInt64.self, capacity: blockCount * Block.words)
            self.byteCount = byteCount
        }

        func release() {
            Block.wipe(UnsafeMutableRawPointer(blocks), byteCount: byteCount)
            free(blocks)
        }
    }
}
