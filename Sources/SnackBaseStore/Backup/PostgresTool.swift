import Foundation

/// The connection a PostgreSQL URL names, as libpq command-line tools take it: host, port, user and
/// database as arguments, the password only in the environment (`PGPASSWORD`), so that it is never
/// on a command line (`ps`) or in an error.
struct PostgresConnectionInfo {
    let arguments: [String]
    let environment: [String: String]

    /// `inherited`: the environment the tools would otherwise run with (this process's).
    init(url: String, inherited: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw BackupError("SNACKBASE_DATABASE_URL is not a postgres:// URL")
        }
        var arguments = ["--host=" + host]
        if let port = components.port { arguments.append("--port=\(port)") }
        if let user = components.user { arguments.append("--username=" + user) }
        let database = String(components.path.drop(while: { $0 == "/" }))
        arguments.append("--dbname=" + (database.isEmpty ? (components.user ?? "postgres") : database))
        var environment = inherited
        environment.removeValue(forKey: "PGPASSWORD")
        if let password = components.password { environment["PGPASSWORD"] = password }
        // As the server's own connections read them (``PostgresTLS``), never from the environment: a
        // backup is no less protected than they are, and a PGSSLMODE left in the shell does not change it.
        let tls: PostgresTLS
        do { tls = try PostgresTLS(queryItems: components.queryItems ?? []) } catch let error as StoreError {
            throw BackupError("SNACKBASE_DATABASE_URL: \(error)")
        }
        environment["PGSSLMODE"] = tls.mode.rawValue
        environment.removeValue(forKey: "PGSSLROOTCERT")
        if let root = components.queryItems?.last(where: { $0.name == "sslrootcert" })?.value { environment["PGSSLROOTCERT"] = root }
        self.arguments = arguments
        self.environment = environment
    }
}

/// Runs pg_dump and pg_restore, found on PATH or else in the newest /usr/lib/postgresql/*/bin.
enum PostgresTool {
    static func find(_ name: String) -> String? {
        let fm = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where fm.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        for version in versions where fm.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\(name)") {
            return "/usr/lib/postgresql/\(version)/bin/\(name)"
        }
        return nil
    }

    /// Runs the tool and waits; throws its last stderr line (which libpq never fills with the password).
    static func run(_ name: String, _ arguments: [String], environment: [String: String]) throws {
        guard let executable = find(name) else { throw BackupError("\(name) not found (install the PostgreSQL client tools)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self)
            var line = text.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            if let password = environment["PGPASSWORD"], !password.isEmpty { line = line.replacingOccurrences(of: password, with: "***") }
            throw BackupError("\(name) failed: \(line.prefix(300))")
        }
    }
}
