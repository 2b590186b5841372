import Foundation
import Logging
import SnackBaseMail
import SnackBaseService

/// The mail settings of `serve` (identity.md "Email"), checked before the database is opened.
///
/// - `SNACKBASE_SMTP_URL` set: mail goes over SMTP; `SNACKBASE_MAIL_FROM` and
///   `SNACKBASE_PUBLIC_URL` are then required.
/// - Not set, with `--dev`: each mail is a `.eml` file in `<data-dir>/mail/`, its subject logged;
///   links default to `http://<host>:<port>`.
/// - Not set, without `--dev`: no mail. The server still starts (existing deployments keep
///   working), says so at start, sends nothing, refuses invitations (503) and refuses to start
///   with `SNACKBASE_REQUIRE_VERIFIED_EMAIL=true`, which nobody could then satisfy.
/// A template folder `<data-dir>/mail-templates/` replaces built-in mail texts.
enum MailSetting {
    static func make(_ settings: Settings, dev: Bool, dataDirectory: String, host: String, port: Int, logger: Logger) throws -> MailSettings {
        let requireVerified = try boolean(settings, "SNACKBASE_REQUIRE_VERIFIED_EMAIL")
        let smtpURL = settings.string("SNACKBASE_SMTP_URL")
        let templateFolder = dataDirectory + "/mail-templates"
        let templates: String? = FileManager.default.fileExists(atPath: templateFolder) ? templateFolder : nil
        var mailLogger = logger
        mailLogger[metadataKey: "component"] = "mail"

        let transport: (any MailTransport)?
        let from: MailAddress
        let publicURL: String
        if let smtpURL {
            let configuration: SMTPConfiguration
            do { configuration = try SMTPConfiguration(url: smtpURL) } catch { throw SettingError(description: error.description) }
            guard let fromText = settings.string("SNACKBASE_MAIL_FROM") else {
                throw SettingError(description: "SNACKBASE_MAIL_FROM is required with SNACKBASE_SMTP_URL")
            }
            from = try address(fromText)
            guard let base = settings.string("SNACKBASE_PUBLIC_URL") else {
                throw SettingError(description: "SNACKBASE_PUBLIC_URL is required with SNACKBASE_SMTP_URL (the base of the links in mails)")
            }
            publicURL = try url(base)
            do {
                transport = SMTPTransport(client: try SMTPClient(configuration: configuration, logger: mailLogger))
            } catch {
                throw SettingError(description: "SNACKBASE_SMTP_URL: \(error)")
            }
        } else if dev {
            from = try address(settings.string("SNACKBASE_MAIL_FROM") ?? "snackbase@localhost")
            publicURL = try url(settings.string("SNACKBASE_PUBLIC_URL") ?? "http://\(host):\(port)")
            transport = FileMailTransport(folder: dataDirectory + "/mail")
        } else {
            guard !requireVerified else {
                throw SettingError(description: "SNACKBASE_REQUIRE_VERIFIED_EMAIL=true needs SNACKBASE_SMTP_URL (or --dev): no one could verify an e-mail")
            }
            from = try address(settings.string("SNACKBASE_MAIL_FROM") ?? "snackbase@localhost")
            publicURL = try url(settings.string("SNACKBASE_PUBLIC_URL") ?? "http://\(host):\(port)")
            transport = nil
        }
        do {
            return try MailSettings(queue: transport.map { MailQueue(transport: $0, logger: mailLogger) }, from: from, publicURL: publicURL,
                                    templateFolder: templates, requireVerifiedEmail: requireVerified, logSubjects: smtpURL == nil)
        } catch {
            throw SettingError(description: "SNACKBASE_DATA_DIR: \(error)")
        }
    }

    static func boolean(_ settings: Settings, _ name: String) throws -> Bool {
        guard let text = settings.string(name) else { return false }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw SettingError(description: "\(name) must be true or false, got '\(text)'")
        }
    }

    private static func address(_ text: String) throws -> MailAddress {
        do { return try MailAddress(parsing: text) } catch {
            throw SettingError(description: "SNACKBASE_MAIL_FROM must be an e-mail address like SnackBase <noreply@example.com>")
        }
    }

    private static func url(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else { throw SettingError(description: "SNACKBASE_PUBLIC_URL must be an http:// or https:// URL like https://api.example.com") }
        return text
    }
}
