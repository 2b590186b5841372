import Hummingbird
import SnackBaseCore

/// `skip` (default 0) and `limit` (default 30, 1–100) from the query string; anything else is a 400.
public struct Pagination: Sendable {
    public let skip: Int
    public let limit: Int

    public init(_ request: Request) throws(SnackBaseError) {
        try self.init(FormQuery(request))
    }

    public init(_ query: FormQuery) throws(SnackBaseError) {
        skip = try Self.integer(query["skip"], name: "skip", default: 0, range: 0...Int(Int32.max))
        limit = try Self.integer(query["limit"], name: "limit", default: 30, range: 1...100)
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws(SnackBaseError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .badRequest("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)",
                              details: [.init(field: name, message: "must be an integer in \(range.lowerBound)...\(range.upperBound)")])
        }
        return number
    }
}

/// The list envelope of every collection route.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let total: Int
    public let skip: Int
    public let limit: Int
}
