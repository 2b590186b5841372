/// The admin console's files (`Files/`), compiled into the binary with SwiftPM's `embedInCode`:
/// nothing to install beside `snackbase`, and the bytes served are the bytes in git.
/// `Files/snackbase.js` is a symlink to `clients/js/snackbase.js`, so the one copy of the JavaScript
/// client in git is what `/_/sdk/snackbase.js` serves.
public struct ConsoleFile: Sendable {
    /// The path under `/_/`, e.g. `app.js` or `sdk/snackbase.js`.
    public let path: String
    public let bytes: [UInt8]
    public let contentType: String
    /// A strong validator: a 64-bit FNV-1a hash of the bytes, quoted.
    public let etag: String

    init(_ path: String, _ bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        self.contentType = Self.contentType(of: path)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        self.etag = "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    static func contentType(of path: String) -> String {
        if path.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if path.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if path.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if path.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }
}

public enum ConsoleFiles {
    /// The page every console address without a file of its own answers (the console routes with `#`).
    public static let index = ConsoleFile("index.html", PackageResources.index_html)

    /// Every file by its path under `/_/`. A file added to `Files/` must be added here (a test compares).
    public static let all: [String: ConsoleFile] = {
        let files = [
            index,
            ConsoleFile("console.css", PackageResources.console_css),
            ConsoleFile("icon.svg", PackageResources.icon_svg),
            ConsoleFile("app.js", PackageResources.app_js),
            ConsoleFile("ui.js", PackageResources.ui_js),
            ConsoleFile("signin.js", PackageResources.signin_js),
            ConsoleFile("overview.js", PackageResources.overview_js),
            ConsoleFile("accounts.js", PackageResources.accounts_js),
            ConsoleFile("collections.js", PackageResources.collections_js),
            ConsoleFile("records.js", PackageResources.records_js),
            ConsoleFile("users.js", PackageResources.users_js),
            ConsoleFile("roles.js", PackageResources.roles_js),
            ConsoleFile("explain.js", PackageResources.explain_js),
            ConsoleFile("audit.js", PackageResources.audit_js),
            ConsoleFile("apikeys.js", PackageResources.apikeys_js),
            ConsoleFile("me.js", PackageResources.me_js),
            ConsoleFile("sdk/snackbase.js", PackageResources.snackbase_js),
        ]
        return Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0) })
    }()

    /// The file a path under `/_/` names (`""` is the index), or nil.
    public static func file(at path: String) -> ConsoleFile? {
        path.isEmpty ? index : all[path]
    }
}
