import NIOCore

/// The list envelope of the API (`{items, total, skip, limit}`, api.md), written without going
/// through `Encodable` for record lists, whose items are already JSON.
enum ListEnvelope {
    /// `{"items":[…],"limit":n,"skip":n,"total":n}`, each of the `count` items written by `item`.
    static func page(count: Int, total: Int, skip: Int, limit: Int, item: (Int, inout ByteBuffer) -> Void) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(256 + count * 512)
        out.writeStaticString("{\"items\":[")
        for index in 0..<count {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            item(index, &out)
        }
        out.writeString("],\"limit\":\(limit),\"skip\":\(skip),\"total\":\(total)}")
        return out
    }
}
