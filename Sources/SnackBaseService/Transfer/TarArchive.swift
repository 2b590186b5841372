import Crypto
import NIOCore

/// A POSIX ustar archive written member by member (the account archive of operations.md): each
/// member is a 512-byte header, its bytes, and zero padding to a multiple of 512; two zero blocks end it.
/// Names are at most 100 bytes (ours are `records/<collection>.jsonl` and fixed names); regular files only.
package enum TarArchive {
    /// The header, contents and padding of one regular file.
    package static func member(_ name: String, _ contents: ByteBuffer, modified: Int) -> ByteBuffer {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            // width - 1 octal digits, zero-padded, then the NUL already there.
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(contents.readableBytes, at: 124, width: 12)
        octal(modified, at: 136, width: 12)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        // The checksum is the sum of the header's bytes with its own field read as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")

        var out = ByteBuffer()
        out.reserveCapacity(512 + contents.readableBytes + 512)
        out.writeBytes(header)
        out.writeImmutableBuffer(contents)
        let padding = (512 - contents.readableBytes % 512) % 512
        out.writeRepeatingByte(0, count: padding)
        return out
    }

    /// The end of the archive: two zero blocks.
    package static var end: ByteBuffer {
        var out = ByteBuffer()
        out.writeRepeatingByte(0, count: 1024)
        return out
    }

    /// The SHA-256 of the bytes, lowercase hex.
    package static func sha256(_ contents: ByteBuffer) -> String {
        SHA256.hash(data: contents.readableBytesView).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }
}
