import Foundation
import Mustache

/// The texts of the mails, as mustache templates: a subject, a plain-text and an HTML part for
/// each ``Kind``. The built-in ones are below; a deployer replaces any of them with a file of the
/// same name in the template folder (`<data-dir>/mail-templates/`), for example
/// `password_reset.html.mustache`. Values: `account_name`, `email`, `link`, `expires_in`, and for
/// invitations `invited_by` and `roles`. The subject and plain text use `{{{…}}}` (no HTML
/// escaping); the HTML part uses `{{…}}`, so an account name cannot inject markup.
package struct MailTemplates: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
        case invitation
    }

    package struct Rendered: Sendable {
        package let subject: String
        package let text: String
        package let html: String
    }

    /// A template file that does not parse; the start stops with its name.
    package struct InvalidTemplate: Error, CustomStringConvertible {
        package let description: String
    }

    private let templates: [String: MustacheTemplate]

    /// The built-in templates, each replaced by `folder/<kind>.<part>.mustache` when that file exists.
    package init(overridesIn folder: String? = nil) throws {
        var templates: [String: MustacheTemplate] = [:]
        for kind in Kind.allCases {
            for part in ["subject", "txt", "html"] {
                let name = "\(kind.rawValue).\(part)"
                var text = Self.builtIn[name] ?? ""
                if let folder, let custom = FileManager.default.contents(atPath: folder + "/" + name + ".mustache") {
                    text = String(decoding: custom, as: UTF8.self)
                }
                do {
                    templates[name] = try MustacheTemplate(string: text)
                } catch {
                    throw InvalidTemplate(description: "mail template \(name).mustache does not parse: \(error)")
                }
            }
        }
        self.templates = templates
    }

    package func render(_ kind: Kind, _ values: [String: String]) -> Rendered {
        func part(_ name: String) -> String { templates["\(kind.rawValue).\(name)"]?.render(values) ?? "" }
        // A subject is one line, whatever a template or an account name holds.
        let subject = part("subject").split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return Rendered(subject: subject, text: part("txt"), html: part("html"))
    }

    static let builtIn: [String: String] = [
        "verify_email.subject": "Confirm your e-mail address for {{{account_name}}}",
        "verify_email.txt": """
            Hello,

            please confirm that {{{email}}} is your e-mail address for {{{account_name}}} by opening this link:

            {{{link}}}

            The link works once and for {{{expires_in}}}. If you did not sign up, ignore this mail.

            """,
        "verify_email.html": """
            <p>Hello,</p>
            <p>please confirm that {{email}} is your e-mail address for <strong>{{account_name}}</strong>:</p>
            <p><a href="{{link}}">Confirm my e-mail address</a></p>
            <p>The link works once and for {{expires_in}}. If you did not sign up, ignore this mail.</p>

            """,
        "password_reset.subject": "Reset your password for {{{account_name}}}",
        "password_reset.txt": """
            Hello,

            someone asked to reset the password of {{{email}}} in {{{account_name}}}. To choose a new one, open this link:

            {{{link}}}

            The link works once and for {{{expires_in}}}. If you did not ask for this, ignore this mail: your password stays as it is.

            """,
        "password_reset.html": """
            <p>Hello,</p>
            <p>someone asked to reset the password of {{email}} in <strong>{{account_name}}</strong>.</p>
            <p><a href="{{link}}">Choose a new password</a></p>
            <p>The link works once and for {{expires_in}}. If you did not ask for this, ignore this mail: your password stays as it is.</p>

            """,
        "invitation.subject": "You are invited to {{{account_name}}}",
        "invitation.txt": """
            Hello,

            {{{invited_by}}} invites you to join {{{account_name}}} (roles: {{{roles}}}). To accept and choose your password, open this link:

            {{{link}}}

            The link works once and for {{{expires_in}}}.

            """,
        "invitation.html": """
            <p>Hello,</p>
            <p>{{invited_by}} invites you to join <strong>{{account_name}}</strong> (roles: {{roles}}).</p>
            <p><a href="{{link}}">Accept the invitation</a></p>
            <p>The link works once and for {{expires_in}}.</p>

            """,
    ]
}
