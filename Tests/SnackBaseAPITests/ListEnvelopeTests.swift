import Foundation
import NIOCore
@testable import SnackBaseAPI
import SnackBaseCore
import SnackBaseStore
import Testing
import NIOFoundationCompat

@Suite("The list envelope")
struct ListEnvelopeTests {
    @Test("a page has the list envelope")
    func page() throws {
        let buffer = ListEnvelope.page(count: 1, total: 7, skip: 0, limit: 30) { _, out in JSONWriter.write(.object(["id": .string("rec_1")]), into: &out) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
        #expect(object["total"] as? Int == 7 && object["limit"] as? Int == 30 && object["skip"] as? Int == 0)
        #expect((object["items"] as? [[String: Any]])?.first?["id"] as? String == "rec_1")
    }
}
