import Foundation
import Testing
@testable import SnackBaseMail

@Suite struct FileMailTransportTests {
    @Test func writesParseableEMLWithPrivateModes() async throws {
        let base = try makeTemporaryDirectory("eml")
        let folder = base.appendingPathComponent("data/mail").path
        let transport = FileMailTransport(folder: folder)
        let message = Fixtures.message(subject: "Bestätigen Sie Ihre E-Mail ✓", text: "Link: https://app.example/r?t=1\n.dot", html: "<b>ü</b>")
        try await transport.send(message)
        let path = try transport.store(message)

        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names.count == 2)
        for name in names {
            #expect(name.hasSuffix(".eml"))
            #expect(name.range(of: #"^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$"#, options: .regularExpression) != nil, "\(name)")
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)

        let script = """
        import email, email.policy, json, sys
        m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
        print(json.dumps({"subject": str(m["subject"]), "text": m.get_body(("plain",)).get_content(),
                          "html": m.get_body(("html",)).get_content(), "defects": len(m.defects)}))
        """
        let (status, output) = try runCommand(["python3", "-c", script, path])
        try #require(status == 0, "\(output)")
        let parsed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        #expect(parsed?["subject"] as? String == "Bestätigen Sie Ihre E-Mail ✓")
        #expect(parsed?["text"] as? String == "Link: https://app.example/r?t=1\r\n.dot")
        #expect(parsed?["html"] as? String == "<b>ü</b>")
        #expect(parsed?["defects"] as? Int == 0)
    }

    @Test func queueWithFileTransport() async throws {
        let folder = try makeTemporaryDirectory("eml-queue").appendingPathComponent("mail").path
        let queue = MailQueue(transport: FileMailTransport(folder: folder), retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        for i in 0..<3 { await queue.enqueue(Fixtures.message(subject: "n\(i)")) }
        #expect(await drain(queue, within: 10))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 3)
    }
}
