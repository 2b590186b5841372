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
        try Self.requireJSONLines(query["format"])
        let target = try await target(query, context, alias: false)
        // Decided before the first byte: a refusal is an ordinary error answer.
        let plan = try records.exportPlan(target: target)
        let records = self.records
        let body = ResponseBody { writer in
            var after: String?
            repeat {
                let page = try await records.exportPage(after: after, plan: plan)
                var buffer = ByteBuffer()
                for index in 0..<page.listed.count {
                    page.listed.write(index, into: &buffer)
                    buffer.writeInteger(UInt8(ascii: "\n"))
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                after = page.lastID
            } while after != nil
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[.contentDisposition] = "attachment; filename=\"\(target.scope.collection.name).jsonl\""
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Creates a record for every line, each validated and authorized as `POST` would by the caller;
    /// `?atomic=true`: all or nothing. Answers `{created, failed:[{line, status, message}]}` (200;
    /// the lines' own statuses are in `failed`).
    func importRecords(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = FormQuery(request)
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if query["format"] == nil, contentType != "application/x-ndjson", contentType != "application/jsonl" {
            throw SnackBaseError.badRequest("Send JSON Lines: Content-Type application/x-ndjson or ?format=jsonl")
        }
        try Self.requireJSONLines(query["format"])
        let atomic: Bool
        switch query["atomic"] {
        case nil, "false": atomic = false
        case "true": atomic = true
        default: throw SnackBaseError.badRequest("atomic must be true or false")
        }
        let target = try await target(query, context, alias: false)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.importMaxBytes)
        } catch is NIOTooManyBytesError {
            throw SnackBaseError(.payloadTooLarge, message: "An import body may be at most \(Self.importMaxBytes) bytes; split the file")
        }
        let lines = try Self.lines(of: buffer)
        let outcome = try await records.importRecords(lines, atomic: atomic, target: target, requestID: context.requestID)
        let failed = outcome.failed.map { line, error in
            let failure = ErrorResponder.snackBaseError(for: error)
            if failure.status >= 500 {
                context.logger.error("record.import_line_failed", metadata: ["import.line": .stringConvertible(line), "error.type": .string(String(describing: type(of: error)))])
            }
            return ImportAnswer.Failure(line: line, status: failure.status, message: failure.message)
        }
        return try JSONBody.response(.ok, ImportAnswer(created: outcome.created, failed: failed))
    }

    struct ImportAnswer: Encodable {
        struct Failure: Encodable {
            let line: Int
            let status: Int
            let message: String
        }
        let created: Int
        let failed: [Failure]
    }

    static func requireJSONLines(_ format: String?) throws {
        switch format {
        case nil, "jsonl": return
        case "csv": throw SnackBaseError.badRequest("format=csv is not supported yet; use jsonl")
        default: throw SnackBaseError.badRequest("format must be jsonl")
        }
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
