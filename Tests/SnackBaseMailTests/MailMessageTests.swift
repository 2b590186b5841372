import Foundation
import NIOCore
import Testing
@testable import SnackBaseMail

@Suite struct MailMessageTests {
    @Test func rendersHeadersAndMultipart() throws {
        let m = Fixtures.message(subject: "Bestätigen Sie Ihre E-Mail ✓", text: "Hallo\n.punkt", html: "<p>Grüße</p>")
        let date = Date(timeIntervalSince1970: 1_796_185_123)  // 2026-12-02 04:18:43 UTC
        let text = m.rendered(date: date)
        #expect(text.contains("Date: Wed, 02 Dec 2026 04:18:43 +0000\r\n"))
        #expect(text.contains("MIME-Version: 1.0\r\n"))
        #expect(text.contains("Content-Type: multipart/alternative;\r\n boundary=\"=_SnackBase_"))
        #expect(text.contains("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(text.contains("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("From: \"SnackBase\" <noreply@snackbase.example>\r\n"))
        #expect(text.contains("To: =?UTF-8?B?"))
        #expect(m.messageID.hasPrefix("<") && m.messageID.hasSuffix("@snackbase.example>"))
        #expect(text.contains("Message-ID: \(m.messageID)\r\n"))
        #expect(text.contains("Gr=C3=BC=C3=9Fe"))
        // 7-bit, CRLF only, short lines
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() where b == 10 { #expect(i > 0 && bytes[i - 1] == 13) }
        for (i, b) in bytes.enumerated() where b == 13 { #expect(i + 1 < bytes.count && bytes[i + 1] == 10) }
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
    }

    @Test func singlePartWithoutHTML() {
        let text = Fixtures.message(html: nil).rendered()
        #expect(text.contains("Content-Type: text/plain; charset=UTF-8\r\n"))
        #expect(!text.contains("multipart"))
        #expect(text.hasSuffix("\r\n"))
    }

    @Test func distinctMessageIDs() {
        #expect(Fixtures.message().messageID != Fixtures.message().messageID)
    }

    @Test func requiresRecipients() {
        #expect(throws: MailMessageError.noRecipients) {
            _ = try MailMessage(from: Fixtures.from, to: [], subject: "x", textBody: "y")
        }
    }

    @Test func subjectInjectionIsNeutralised() {
        let m = Fixtures.message(subject: "Hello\r\nBcc: victim@evil.example\nX-Evil: 1")
        #expect(!m.subject.contains("\r") && !m.subject.contains("\n"))
        let headers = m.rendered().components(separatedBy: "\r\n\r\n")[0]
        for line in headers.components(separatedBy: "\r\n") {
            #expect(!line.lowercased().hasPrefix("bcc:"))
            #expect(!line.lowercased().hasPrefix("x-evil:"))
        }
    }

    @Test(arguments: [
        "alice@example.com\r\nBcc: victim@evil.example",
        "alice@example.com>\r\nRCPT TO:<victim@evil.example",
        "alice@example.com\n",
        "Alice <alice@example.com>",
        "alice@exa mple.com",
        "a,b@example.com",
        "\"quoted\"@example.com",
        "no-at-sign",
        "@example.com",
        "alice@",
        "jürgen@example.com",
        "alice@example.com\u{0}",
    ])
    func badAddressesAreRefused(_ address: String) {
        #expect(throws: MailAddressError.self) { _ = try MailAddress(address) }
    }

    @Test func displayNameInjectionIsNeutralised() throws {
        let a = try MailAddress("alice@example.com", displayName: "Alice\r\nBcc: victim@evil.example")
        #expect(a.displayName == "Alice  Bcc: victim@evil.example")
        #expect(!a.headerValue.contains("\r") && !a.headerValue.contains("\n"))
        let q = try MailAddress("bob@example.com", displayName: "Bob \"The\" \\Builder")
        #expect(q.headerValue == "\"Bob \\\"The\\\" \\\\Builder\" <bob@example.com>")
        #expect(a.domain == "example.com")
    }

    @Test func parsesMailFromForms() throws {
        let a = try MailAddress(parsing: "SnackBase <noreply@snackbase.example>")
        #expect(a.address == "noreply@snackbase.example" && a.displayName == "SnackBase")
        let b = try MailAddress(parsing: " \"Snack \\\"Base\\\"\" <noreply@snackbase.example> ")
        #expect(b.displayName == "Snack \"Base\"")
        let c = try MailAddress(parsing: "noreply@snackbase.example")
        #expect(c.displayName == nil)
        let d = try MailAddress(parsing: "<noreply@snackbase.example>")
        #expect(d.address == "noreply@snackbase.example" && d.displayName == nil)
        #expect(throws: MailAddressError.self) { _ = try MailAddress(parsing: "Evil <a@b.example>\r\nBcc: <c@d.example>") }
    }

    @Test func encodedWordsRoundTripAndStayShort() throws {
        let subject = String(repeating: "Grüße aus Köln 🇩🇪 ", count: 8)
        let words = MIMEEncoding.encodedWords(subject)
        #expect(words.count > 1)
        var bytes: [UInt8] = []
        for w in words {
            #expect(w.count <= 75)
            #expect(w.hasPrefix("=?UTF-8?B?") && w.hasSuffix("?="))
            let b64 = String(w.dropFirst(10).dropLast(2))
            let decoded = try #require(Data(base64Encoded: b64))
            #expect(String(data: decoded, encoding: .utf8) != nil, "each word is whole characters")
            bytes += decoded
        }
        #expect(String(decoding: bytes, as: UTF8.self) == subject)
    }

    @Test func quotedPrintable() {
        #expect(MIMEEncoding.quotedPrintable("a=b \nc\t") == "a=3Db=20\r\nc=09")
        #expect(MIMEEncoding.quotedPrintable("ü") == "=C3=BC")
        let long = String(repeating: "x", count: 200)
        let qp = MIMEEncoding.quotedPrintable(long)
        for line in qp.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(qp.replacingOccurrences(of: "=\r\n", with: "") == long)
        // never splits an =XX escape
        let umlauts = String(repeating: "ä", count: 60)
        for line in MIMEEncoding.quotedPrintable(umlauts).components(separatedBy: "\r\n") {
            #expect(line.count <= 76)
            let body = line.hasSuffix("=") ? String(line.dropLast()) : line
            #expect(body.count % 3 == 0)
        }
    }

    @Test func dotStuffing() {
        var buffer = SMTPClient.dotStuffed(".a\r\nb\r\n..c\r\n.\r\n")
        let s = buffer.readString(length: buffer.readableBytes)
        #expect(s == "..a\r\nb\r\n...c\r\n..\r\n.\r\n")
        var noEOL = SMTPClient.dotStuffed("x")
        #expect(noEOL.readString(length: noEOL.readableBytes) == "x\r\n.\r\n")
    }

    @Test func dates() {
        #expect(MIMEEncoding.rfc5322Date(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MIMEEncoding.rfc5322Date(secondsSince1970: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 +0000")
        #expect(MIMEEncoding.compactTimestamp(secondsSince1970: 1_796_185_123) == "20261202T041843Z")
    }

    @Test func loopbackDetection() throws {
        #expect(SMTPClient.isLoopback(try .init(ipAddress: "127.0.0.1", port: 25)))
        #expect(SMTPClient.isLoopback(try .init(ipAddress: "127.8.9.10", port: 25)))
        #expect(SMTPClient.isLoopback(try .init(ipAddress: "::1", port: 25)))
        #expect(!SMTPClient.isLoopback(try .init(ipAddress: "10.0.0.1", port: 25)))
        #expect(!SMTPClient.isLoopback(try .init(ipAddress: "2001:db8::1", port: 25)))
        #expect(!SMTPClient.isLoopback(nil))
        #expect(SMTPClient.sniName("127.0.0.1") == nil)
        #expect(SMTPClient.sniName("::1") == nil)
        #expect(SMTPClient.sniName("mail.example.com") == "mail.example.com")
    }
}
