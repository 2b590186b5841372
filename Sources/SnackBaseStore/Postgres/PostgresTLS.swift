import Foundation
import NIOSSL
import PostgresNIO

/// Whether and how the connections to PostgreSQL are encrypted: `sslmode` (and `sslrootcert`) of
/// `SNACKBASE_DATABASE_URL`, read as libpq reads them, so that the URL means what it means to `psql`
/// and to the `pg_dump` of a backup (which is given the same two).
///
/// - `disable`: never TLS.
/// - `prefer` (the default, as libpq's) and `allow`: TLS when the server offers it, its certificate
///   not checked; plain when it does not. (libpq's `allow` tries plain first; here it is `prefer`,
///   which never encrypts less.)
/// - `require`: TLS or no connection, the certificate not checked, except that with `sslrootcert`
///   (`system` too) it is checked as by `verify-ca` (libpq does the same with a file).
/// - `verify-ca`: TLS, the certificate signed by a trusted authority; `verify-full`: that, and made
///   out to the host of the URL (its name, or the IP address connected to: NIOSSL matches a
///   certificate's IP addresses against the socket's, where libpq only against a host that is one).
///
/// The trusted authorities are the file `sslrootcert` names (PEM), or the system's when it is absent
/// or `system` (libpq would read `~/.postgresql/root.crt` first). A mode that requires TLS never falls
/// back to a plain connection. Any other `ssl…` parameter (client certificates, revocation lists)
/// is refused rather than ignored: a connection less protected than its URL asks must not start.
struct PostgresTLS: Sendable {
    /// The modes as libpq spells them (the backup's `pg_dump` is given the one read, `PGSSLMODE`).
    enum Mode: String, Sendable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    let mode: Mode
    /// The PEM file of the trusted authorities; nil: the system's.
    let rootCertificate: String?

    /// The settings of the URL's query items; throws ``StoreError/configuration(_:)`` for a value or
    /// parameter it does not know.
    init(queryItems: [URLQueryItem]) throws {
        var mode = Mode.prefer
        var root: String?
        var rootGiven = false
        for item in queryItems where item.name.hasPrefix("ssl") {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": mode = .disable
                case "allow", "prefer": mode = .prefer
                case "require": mode = .require
                case "verify-ca": mode = .verifyCA
                case "verify-full": mode = .verifyFull
                default:
                    throw StoreError.configuration(
                        "sslmode must be disable, allow, prefer, require, verify-ca or verify-full")
                }
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw StoreError.configuration("sslrootcert needs a file (or system)")
                }
                root = value == "system" ? nil : value
                rootGiven = true
            default:
                throw StoreError.configuration("\(item.name) is not supported (only sslmode and sslrootcert)")
            }
        }
        // libpq checks the certificate under `require` when a root file is given (16 refuses `require` with `system`).
        if mode == .require, rootGiven { mode = .verifyCA }
        self.mode = mode
        self.rootCertificate = root
    }

    /// NIOSSL's client settings for the mode; nil when TLS is disabled.
    var configuration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        return tls
    }

    /// The pool's TLS setting.
    func forPool() -> PostgresClient.Configuration.TLS {
        guard let configuration else { return .disable }
        return mode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// A single connection's TLS setting (the start's probe, the listener): its context is made here,
    /// so that an unreadable `sslrootcert` stops the start with a clear error.
    func forConnection() throws -> PostgresConnection.Configuration.TLS {
        guard let configuration else { return .disable }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw StoreError.configuration("sslrootcert \(rootCertificate ?? "system"): cannot be read as PEM certificates (\(error))")
        }
        return mode == .prefer ? .prefer(context) : .require(context)
    }
}
