import Testing
@testable import SnackBaseMail

@Suite struct SMTPConfigurationTests {
    @Test func parsesSMTPWithCredentialsAndDefaultPort() throws {
        let c = try SMTPConfiguration(url: "smtp://mailer%40corp:p%40ss%3Aw%2Frd@Mail.Example.com")
        #expect(c.host == "mail.example.com")
        #expect(c.port == 587)
        #expect(c.username == "mailer@corp")
        #expect(c.password == "p@ss:w/rd")
        #expect(c.security == .startTLSIfAvailable)
    }

    @Test func parsesSMTPSAndPorts() throws {
        let a = try SMTPConfiguration(url: "smtps://relay.example.com")
        #expect(a.port == 465 && a.security == .implicitTLS && a.username == nil && a.password == nil)
        let b = try SMTPConfiguration(url: "smtp://127.0.0.1:2525/")
        #expect(b.port == 2525 && b.host == "127.0.0.1")
        let c = try SMTPConfiguration(url: "smtp://[::1]:25")
        #expect(c.host == "::1" && c.port == 25)
        let d = try SMTPConfiguration(url: "smtp://u:p@h.example?starttls=required")
        #expect(d.security == .startTLSRequired)
        let e = try SMTPConfiguration(url: "SMTP://user@h.example:25")
        #expect(e.username == "user" && e.password == nil)
    }

    @Test func unencodedAtInPasswordUsesLastAt() throws {
        let c = try SMTPConfiguration(url: "smtp://user:p@ss@host.example")
        #expect(c.password == "p@ss" && c.host == "host.example")
    }

    @Test(arguments: [
        "http://user:hunter2secret@host",
        "smtp://user:hunter2secret@",
        "smtp://user:hunter2secret@host:99999",
        "smtp://user:hunter2secret@host:abc",
        "smtp://user:hunter2secret",  // forgot the host: the password sits where the port would be
        "smtp://user:hunter2secret@host/path",
        "smtp://user:hunter2secret@host?foo=bar",
        "smtps://user:hunter2secret@host?starttls=required",
        "smtp://user:hunter2%zzsecret@host",
        "smtp://:hunter2secret@host",
        "smtp://user:hunter2secret@ho st",
        "no scheme hunter2secret",
    ])
    func badURLsThrowWithoutThePassword(_ url: String) {
        #expect {
            _ = try SMTPConfiguration(url: url)
        } throws: { error in
            let text = "\(error) \(String(describing: error)) \((error as? SMTPConfigurationError)?.reason ?? "")"
            return error is SMTPConfigurationError && !text.contains("hunter2") && text.contains("SNACKBASE_SMTP_URL")
        }
    }

    @Test func descriptionRedactsPassword() throws {
        let c = try SMTPConfiguration(url: "smtp://bob:TopSecret%21@mail.example.com:2525?starttls=required")
        #expect(c.description == "smtp://bob:***@mail.example.com:2525?starttls=required")
        #expect(!"\(c)".contains("TopSecret"))
        let d = try SMTPConfiguration(url: "smtps://[::1]")
        #expect(d.description == "smtps://[::1]:465")
    }
}
