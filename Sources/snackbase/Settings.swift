import Argon2
import Foundation
import Logging

/// A setting that cannot be used; the message names the variable or flag, on one line.
struct SettingError: Error, CustomStringConvertible {
    let description: String
}

/// Reads `SNACKBASE_*` variables. A flag given on the command line wins over its variable.
struct Settings {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    func string(_ name: String, flag: String? = nil) -> String? {
        if let flag { return flag }
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, flag: Int? = nil, default value: Int, range: ClosedRange<Int>) throws -> Int {
        if let flag {
            guard range.contains(flag) else { throw SettingError(description: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)") }
            return flag
        }
        guard let text = string(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw SettingError(description: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return number
    }

    func argon2() throws -> Argon2Parameters {
        let parameters = Argon2Parameters(
            memoryKiB: UInt32(try integer("SNACKBASE_ARGON2_MEMORY_KIB", default: 65536, range: 8...(1 << 20))),
            iterations: UInt32(try integer("SNACKBASE_ARGON2_ITERATIONS", default: 3, range: 1...64)),
            parallelism: UInt32(try integer("SNACKBASE_ARGON2_PARALLELISM", default: 4, range: 1...64))
        )
        // Each value in range is not enough: Argon2 needs 8 KiB of memory per lane.
        guard UInt64(parameters.memoryKiB) >= 8 * UInt64(parameters.parallelism) else {
            throw SettingError(description: "SNACKBASE_ARGON2_MEMORY_KIB must be at least 8 per lane of SNACKBASE_ARGON2_PARALLELISM (\(8 * parameters.parallelism) for \(parameters.parallelism))")
        }
        return parameters
    }

    func logLevel() throws -> Logger.Level {
        guard let text = string("SNACKBASE_LOG_LEVEL") else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw SettingError(description: "SNACKBASE_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    /// The JWT signing key: `SNACKBASE_SECRET_KEY` (at least 32 bytes), or with `--dev` a key kept
    /// in the data folder (created with mode 0600 on first use).
    func secretKey(dev: Bool, dataDirectory: String) throws -> [UInt8] {
        if let secret = string("SNACKBASE_SECRET_KEY") {
            guard secret.utf8.count >= 32 else { throw SettingError(description: "SNACKBASE_SECRET_KEY must be at least 32 bytes") }
            return Array(secret.utf8)
        }
        guard dev else {
            throw SettingError(description: "SNACKBASE_SECRET_KEY is required (at least 32 bytes); use --dev to generate one for development")
        }
        let path = dataDirectory + "/secret.key"
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 {
            return Array(existing)
        }
        if FileManager.default.fileExists(atPath: path) {
            throw SettingError(description: "SNACKBASE_DATA_DIR: \(path) holds fewer than 32 bytes; remove it or set SNACKBASE_SECRET_KEY")
        }
        var rng = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        // Created with mode 0600 (never readable by others, not even for a moment) and only if absent.
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else { throw SettingError(description: "SNACKBASE_DATA_DIR: cannot write \(path)") }
        let bytes = Array(hex.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw SettingError(description: "SNACKBASE_DATA_DIR: cannot write \(path)") }
        return Array(hex.utf8)
    }

    func dataDirectory(flag: String?) throws -> String {
        let path = string("SNACKBASE_DATA_DIR", flag: flag) ?? "./snackbase-data"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SettingError(description: "SNACKBASE_DATA_DIR: cannot create \(path)")
        }
        return path
    }
}
