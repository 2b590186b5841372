import Foundation
import HTTPTypes
import SnackBaseTesting
import Testing

/// The rule engine's agreement property at the level of the whole product: for random permissions
/// and records, the rows a list returns (the read rules compiled to SQL) are exactly the records for
/// which `GET /{id}` is allowed (the rules evaluated in memory), with the same visible fields.
@Suite("Agreement: lists and single reads decide alike")
struct AgreementTests {
    typealias Generator = SplitMix64

    static let labels = ["alpha", "beta", "alps", "Beta", "gamma", ""]

    static func atom(_ rng: inout Generator) -> String {
        let label = labels.randomElement(using: &rng)!
        let score = Int.random(in: -2...6, using: &rng)
        switch Int.random(in: 0..<14, using: &rng) {
        case 0: return "score > \(score)"
        case 1: return "score <= \(score)"
        case 2: return "label == '\(label)'"
        case 3: return "label != '\(label)'"
        case 4: return "flag == true"
        case 5: return "flag"
        case 6: return "@owns_record()"
        case 7: return "@has_role('admin') or score < \(score)"
        case 8: return "label in ['alpha', 'Beta', '\(label)']"
        case 9: return "due > '2026-01-0\(Int.random(in: 1...9, using: &rng))T00:00:00Z'"
        case 10: return "@starts_with(label, 'al')"
        case 11: return "score == null"
        case 12: return "label < '\(label)'"
        default: return "@has_role('r2')"
        }
    }

    static func rule(_ rng: inout Generator, depth: Int = 0) -> String {
        guard depth < 2, Bool.random(using: &rng) else {
            return Bool.random(using: &rng) ? atom(&rng) : "not (\(atom(&rng)))"
        }
        let joiner = Bool.random(using: &rng) ? " and " : " or "
        return "(" + rule(&rng, depth: depth + 1) + joiner + rule(&rng, depth: depth + 1) + ")"
    }

    static func record(_ rng: inout Generator) -> String {
        var fields: [String] = []
        if Int.random(in: 0..<5, using: &rng) > 0 { fields.append(#""label":"\#(labels.randomElement(using: &rng)!)""#) }
        if Int.random(in: 0..<5, using: &rng) > 0 { fields.append(#""score":\#(Int.random(in: -2...6, using: &rng))"#) }
        if Int.random(in: 0..<4, using: &rng) > 0 { fields.append(#""flag":\#(Bool.random(using: &rng))"#) }
        if Int.random(in: 0..<3, using: &rng) > 0 { fields.append(#""due":"2026-01-0\#(Int.random(in: 1...9, using: &rng))T12:00:00Z""#) }
        fields.append(#""secret":"s""#)
        return "{" + fields.joined(separator: ",") + "}"
    }

    @Test("random read rules: list == the records GET allows, field for field")
    func listMatchesGet() async throws {
        let seed = ProcessInfo.processInfo.environment["AGREEMENT_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        try await TestApp.run { app in
            var rng = Generator(state: seed)
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: """
                [{"name":"label","type":"text"},{"name":"score","type":"number"},{"name":"flag","type":"boolean"},
                 {"name":"due","type":"datetime"},{"name":"secret","type":"text"}]
                """, root: root)
            let acme = try await app.register("acme")
            let r1 = try await app.role(#"{"name":"r1","permissions":[{"collection":"items","create":true,"read":true}]}"#, in: acme)
            let r2 = try await app.role(#"{"name":"r2","permissions":[{"collection":"items","read":true}]}"#, in: acme)
            let p1 = try #require((r1.array("permissions") as? [[String: Any]])?.first?["id"] as? String)
            let p2 = try #require((r2.array("permissions") as? [[String: Any]])?.first?["id"] as? String)
            let user = try await app.user("u@acme.test", roles: ["r1", "r2"], in: acme)
            var ids: [String] = []
            for round in 0..<8 {
                let rule1 = Self.rule(&rng)
                let rule2 = Self.rule(&rng)
                let secretRule = Self.atom(&rng)
                let escape = { (rule: String) in rule.replacingOccurrences(of: "\"", with: "\\\"") }
                #expect(try await app.request(.patch, "/api/v1/permissions/\(p1)", json: """
                    {"read":true,"create":true,"rules":{"read":"\(escape(rule1))"},"field_rules":{"secret":{"read":"\(escape(secretRule))"}}}
                    """, token: acme.token).status == 200)
                #expect(try await app.request(.patch, "/api/v1/permissions/\(p2)", json: #"{"read":\#(round % 3 != 0),"rules":{"read":"\#(escape(rule2))"},"excluded_fields":["secret"]}"#, token: acme.token).status == 200)
                for index in 0..<6 {
                    let token = index % 2 == 0 ? acme.token : user.token
                    let created = try await app.request(.post, "/api/v1/items", json: Self.record(&rng), token: token)
                    #expect(created.status == 201, "seed \(seed): \(created.text)")
                    if let id = created.string("id") { ids.append(id) }
                }
                let listed = try await app.request(.get, "/api/v1/items?limit=100", token: user.token)
                #expect(listed.status == 200 || listed.status == 403)
                var fromList: [String: Set<String>] = [:]
                for item in listed.items { if let id = item["id"] as? String { fromList[id] = Set(item.keys) } }
                #expect(listed.int("total") ?? 0 == fromList.count, "seed \(seed): total counts what is listed")
                var fromGet: [String: Set<String>] = [:]
                for id in ids {
                    let single = try await app.request(.get, "/api/v1/items/\(id)", token: user.token)
                    if single.status == 200 { fromGet[id] = Set(single.json.keys) } else { #expect(single.status == 403, "seed \(seed)") }
                }
                #expect(fromList == fromGet, "seed \(seed), round \(round): rules [\(rule1)] / [\(rule2)] / secret [\(secretRule)]")
            }
        }
    }
}
