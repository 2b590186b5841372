import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive, non-blocking `flock` on `<database>.lock`: `serve` holds it for its lifetime, and
/// `restore` takes it, so that a restore never replaces the file under a running server. The kernel
/// drops it when the process ends, however it ends.
public final class ServerLock: Sendable {
    private let descriptor: Int32

    /// Throws when another process holds the lock.
    public init(databasePath: String) throws {
        let path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupError("cannot open \(path) (errno \(errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw BackupError("a server is using \(databasePath) (\(path) is locked); stop it first")
        }
        descriptor = fd
    }

    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
