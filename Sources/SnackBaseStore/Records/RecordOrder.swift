/// The order a list query puts its records in (its sort, then `id`: ``RecordRepository/list(in:conditions:sort:skip:limit:remembered:on:)``),
/// decided here for a remembered page that creates are put into (``RememberedReads``). Only where the
/// database would order the same two values the same way: text by its UTF-8 bytes (the caller checks
/// that the database's collation does), numbers without NaN, booleans; a null, or a column the record
/// lacks, is left to the database (PostgreSQL puts nulls last in ascending order, SQLite first).
struct RecordOrder {
    let keys: [RecordRepository.Sort]

    init(_ sort: [RecordRepository.Sort]) {
        // As the query: `id` last, in the direction of the last sort, unless the sort names it.
        keys = sort.contains { $0.field == "id" } ? sort : sort + [.init(field: "id", descending: sort.last?.descending == true)]
    }

    /// Whether `a` comes before `b`; nil when that is not decided here.
    func precedes(_ a: StoredRecord, _ b: StoredRecord) -> Bool? {
        for key in keys {
            guard let order = Self.order(a[key.field], b[key.field]) else { return nil }
            if order != 0 { return key.descending ? order > 0 : order < 0 }
        }
        return false
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`; nil when not decided here.
    static func order(_ a: StoredValue?, _ b: StoredValue?) -> Int? {
        switch (a, b) {
        case (.text(let x?)?, .text(let y?)?):
            if x.utf8.elementsEqual(y.utf8) { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        case (.number(let x?)?, .number(let y?)?):
            guard !x.isNaN, !y.isNaN else { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        case (.bool(let x?)?, .bool(let y?)?):
            return x == y ? 0 : (x ? 1 : -1)
        default:
            return nil
        }
    }

    /// `page` (the first records of a list, as the database ordered them) with `created` (records
    /// created since that meet the list's conditions) in their places, cut to `limit`. Nil when an
    /// order is not decided here, or when the page is not in this order (then this is not the
    /// database's order, and the page is read again).
    func merged(_ page: [StoredRecord], with created: [StoredRecord], limit: Int) -> [StoredRecord]? {
        for index in page.indices.dropFirst() {
            guard precedes(page[index - 1], page[index]) == true else { return nil }
        }
        var records = page
        var ids = Set(page.compactMap(Self.id))
        for record in created {
            guard let id = Self.id(record) else { return nil }
            // Read by the page already (it committed before the page's statement).
            guard ids.insert(id).inserted else { continue }
            var place = records.count
            for (index, held) in records.enumerated() {
                guard let before = precedes(record, held) else { return nil }
                if before {
                    place = index
                    break
                }
            }
            records.insert(record, at: place)
        }
        return Array(records.prefix(limit))
    }

    /// The record's id, as stored.
    static func id(_ record: StoredRecord) -> String? {
        if case .text(let id?)? = record["id"] { return id }
        return nil
    }
}
