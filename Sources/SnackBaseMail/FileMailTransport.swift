import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ``MailTransport`` for development (`--dev` and no `SNACKBASE_SMTP_URL`): writes each mail as
/// `<folder>/<UTC timestamp>-<random id>.eml`, the exact bytes SMTP would have sent.
///
/// Mails hold reset links and tokens, so the folder is created with mode 0700 and each file with
/// 0600 (set at `open(2)` time, `O_EXCL`, never wider for a moment).
public struct FileMailTransport: MailTransport {
    public let folder: String

    /// - Parameter folder: usually `<data-dir>/mail`.
    public init(folder: String) {
        self.folder = folder
    }

    /// Writes the mail and returns the file's path.
    @discardableResult
    public func store(_ message: MailMessage, date: Date = Date()) throws -> String {
        try createFolder()
        let stamp = MIMEEncoding.compactTimestamp(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
        let millis = Int(date.timeIntervalSince1970 * 1000) % 1000
        let name = "\(stamp.dropLast())\(String(format: ".%03d", millis))Z-\(MIMEEncoding.randomHex(byteCount: 8)).eml"
        let path = (folder as NSString).appendingPathComponent(name)
        let bytes = Array(message.rendered(date: date).utf8)

        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileMailTransportError(operation: "create \(name)", errno: errno) }
        defer { close(fd) }
        _ = fchmod(fd, 0o600)  // in case the umask was stricter than needed; never wider
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileMailTransportError(operation: "write \(name)", errno: errno)
            }
            offset += n
        }
        return path
    }

    public func send(_ message: MailMessage) async throws {
        try store(message)
    }

    private func createFolder() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw FileMailTransportError(operation: "use mail folder (not a directory)", errno: ENOTDIR) }
            return
        }
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
        )
        _ = chmod(folder, 0o700)
    }
}

/// A failed file operation of ``FileMailTransport`` (retried by the queue like any transient error).
public struct FileMailTransportError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public var description: String { "cannot \(operation): \(String(cString: strerror(errno)))" }
}
