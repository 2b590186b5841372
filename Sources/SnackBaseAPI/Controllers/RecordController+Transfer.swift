import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `GET /records/{collection}/export` and `POST /records/{collection}/import` (operations.md,
/// "Moving data in and out"): JSON Lines, one record per line.
extension RecordController {
    /// The largest import body, and the most lines in one import: over either is 413.
    static let importMaxBytes = 16 << 20
    static let importMaxLines = 50_000

    /// Every record the caller may read, through their field mask, streamed page by page (keyset on
    /// `id`): the server holds one page, never the whole body.
    func export(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = FormQuery(request)
        let format = try Self.format(query["format"])
        let target = try await target(query, context, alias: false)
        // Decided before the first byte: a refusal is an ordinary error answer.
        let plan = try records.exportPlan(target: target)
        let records = self.records
        let columns = format == .csv ? records.exportColumns(plan) : []
        let jsonColumns = Set(target.scope.collection.fields.filter { $0.type == .json }.map(\.name))
        let body = ResponseBody { writer in
            var after: String?
            var buffer = ByteBuffer()
            if format == .csv { RecordCSV.writeRow(columns, into: &buffer) }
            repeat {
                let page = try await records.exportPage(after: after, plan: plan)
                for index in 0..<page.listed.count {
                    switch format {
                    case .jsonl:
                        page.listed.write(index, into: &buffer)
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    case .csv:
                        var json = ByteBuffer()
                        page.listed.write(index, into: &json)
                        guard case .object(let shown) = try JSONBody.value(of: json) else { continue }
                        RecordCSV.writeRow(columns.map { RecordCSV.cell(shown[$0], json: jsonColumns.contains($0)) }, into: &buffer)
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                buffer.clear()
                after = page.lastID
            } while after != nil
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        let name = target.scope.collection.name
        switch format {
        case .jsonl:
            headers[.contentType] = "application/x-ndjson"
            headers[.contentDisposition] = "attachment; filename=\"\(name).jsonl\""
        case .csv:
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Creates a record for every line, each validated and authorized as `POST` would by the caller;
    /// `?atomic=true`: all or nothing. Answers `{created, failed:[{line, status, message}]}` (200;
    /// the lines' own statuses are in `failed`).
    func importRecords(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = FormQuery(request)
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let format: TransferFormat
        switch (query["format"], contentType) {
        case (nil, "application/x-ndjson"?), (nil, "application/jsonl"?): format = .jsonl
        case (nil, "text/csv"?): format = .csv
        case (nil, _): throw SnackBaseError.badRequest("Send JSON Lines (Content-Type application/x-ndjson or ?format=jsonl) or CSV (text/csv or ?format=csv)")
        case (let named?, _): format = try Self.format(named)
        }
        let atomic: Bool
        switch query["atomic"] {
        case nil, "false": atomic = false
        case "true": atomic = true
        default: throw SnackBaseError.badRequest("atomic must be true or false")
        }
        let target = try await target(query, context, alias: false)
        let buffer = try await Self.importBody(request)
        let lines = switch format {
        case .jsonl: try Self.lines(of: buffer)
        case .csv: try Self.csvLines(of: buffer, collection: target.scope.collection)
        }
        let outcome = try await records.importRecords(lines, atomic: atomic, target: target, requestID: context.requestID)
        return try Self.importAnswer(outcome, context: context)
    }

    /// An import's body, at most ``importMaxBytes`` (413 over that).
    static func importBody(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: importMaxBytes)
        } catch is NIOTooManyBytesError {
            throw SnackBaseError(.payloadTooLarge, message: "An import body may be at most \(importMaxBytes) bytes; split the file")
        }
    }

    /// `200 {created, failed:[{line, status, message, details?}]}`: each failed line as the API would
    /// answer its error (a server error logged, by type only).
    static func importAnswer(_ outcome: RecordService.ImportOutcome, context: AppRequestContext) throws -> Response {
        let failed = outcome.failed.map { line, error in
            let failure = ErrorResponder.snackBaseError(for: error)
            if failure.status >= 500 {
                context.logger.error("import.line_failed", metadata: ["import.line": .stringConvertible(line), "error.type": .string(String(describing: type(of: error)))])
            }
            return ImportAnswer.Failure(line: line, status: failure.status, message: failure.message, details: failure.details.isEmpty ? nil : failure.details)
        }
        return try JSONBody.response(.ok, ImportAnswer(created: outcome.created, failed: failed))
    }

    struct ImportAnswer: Encodable {
        struct Failure: Encodable {
            let line: Int
            let status: Int
            let message: String
            /// As in an error answer: each bad field and why.
            let details: [SnackBaseError.Detail]?
        }
        let created: Int
        let failed: [Failure]
    }

    enum TransferFormat { case jsonl, csv }

    static func format(_ named: String?) throws -> TransferFormat {
        switch named {
        case nil, "jsonl": return .jsonl
        case "csv": return .csv
        default: throw SnackBaseError.badRequest("format must be jsonl or csv")
        }
    }

    /// A CSV body's records after its header row, each numbered by the line it starts on; the header
    /// names the fields (an empty or repeated name is a 400).
    static func csvLines(of buffer: ByteBuffer, collection: CollectionSchema) throws -> [RecordService.ImportLine] {
        var rows = try RecordCSV.rows(buffer)[...]
        guard let header = rows.popFirst()?.cells.map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        if let blank = header.firstIndex(of: "") { throw SnackBaseError.badRequest("CSV header: column \(blank + 1) has no name") }
        if Set(header).count != header.count { throw SnackBaseError.badRequest("CSV header: a column is named twice") }
        guard rows.count <= importMaxLines else {
            throw SnackBaseError(.payloadTooLarge, message: "An import may hold at most \(importMaxLines) lines; split the file")
        }
        return rows.map { row in .init(line: row.line, body: RecordCSV.body(row, header: header, collection: collection)) }
    }

    /// The body's lines, numbered from 1 (blank lines are skipped but counted), each parsed as a JSON object.
    static func lines(of buffer: ByteBuffer) throws -> [RecordService.ImportLine] {
        var lines: [RecordService.ImportLine] = []
        var number = 0
        for text in buffer.readableBytesView.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let trimmed = text.last == UInt8(ascii: "\r") ? text.dropLast() : text[...]
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            guard lines.count < importMaxLines else {
                throw SnackBaseError(.payloadTooLarge, message: "An import may hold at most \(importMaxLines) lines; split the file")
            }
            let parsed: Result<[String: JSONValue], SnackBaseError>
            do {
                if case .object(let object) = try JSONBody.value(of: ByteBuffer(bytes: trimmed)) {
                    parsed = .success(object)
                } else {
                    parsed = .failure(SnackBaseError.validation(field: "line", "must be a JSON object"))
                }
            } catch let error as SnackBaseError {
                parsed = .failure(error)
            } catch {
                parsed = .failure(SnackBaseError.badRequest("Malformed JSON"))
            }
            lines.append(.init(line: number, body: parsed))
        }
        return lines
    }
}
