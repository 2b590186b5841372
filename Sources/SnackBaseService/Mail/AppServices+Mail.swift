import Crypto
import Foundation
import Logging
import SnackBaseAuth
import SnackBaseCore
import SnackBaseMail
import SnackBaseStore

extension AppServices {
    /// Renders a mail and queues it; returns at once and never throws (a mail that cannot be
    /// built or delivered never fails the request that caused it). Logs name the template and
    /// the recipient's domain, never the link.
    package func sendMail(_ kind: MailTemplates.Kind, to email: String, values: [String: String]) async {
        var metadata: Logger.Metadata = ["mail.template": .string(kind.rawValue)]
        guard let queue = mail.queue else {
            logger.warning("mail.disabled", metadata: metadata)
            return
        }
        do {
            let rendered = mail.templates.render(kind, values)
            let message = try MailMessage(from: mail.from, to: try MailAddress(email), subject: rendered.subject,
                                          textBody: rendered.text, htmlBody: rendered.html)
            metadata["mail.to_domain"] = .string(message.to.first?.domain ?? "")
            if mail.logSubjects { metadata["mail.subject"] = .string(rendered.subject) }
            if await queue.enqueue(message) { logger.info("mail.queued", metadata: metadata) }
        } catch {
            logger.error("mail.not_built", metadata: metadata)
        }
    }

    /// `base/path?token=…` with the token percent-encoded (it is base64url and an account id, so
    /// nothing changes, but a template never gets a raw query).
    package func link(_ path: String, token: String) -> String {
        let encoded = token.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? token
        return mail.publicURL + path + "?token=" + encoded
    }

    /// Counts one request of an unauthenticated route under `key` (digested) against `limit`,
    /// or refuses it with 429 and the seconds to wait. On PostgreSQL the count is kept in the
    /// database, in fixed windows of the limit's period, so every process counts the same requests;
    /// on SQLite (one process) in memory, in a sliding window. A failure to count refuses (fail closed).
    package func admitUnauthenticated(_ name: String, key: String, limit: RateLimits.Limit) async throws {
        let allowed: Bool
        let retryAfter: Int
        switch database.kind {
        case .sqlite:
            (allowed, retryAfter) = await requestLimiter.admit(name + "|" + key, limit: limit)
        case .postgres:
            let period = max(1, Int64(limit.period.rounded(.up)))
            let now = Int64(Date().timeIntervalSince1970)
            let windowStart = now - now % period
            let digest = SHA256.hash(data: Data("\(name)|\(period)|\(key)".utf8)).map { String(format: "%02x", $0) }.joined()
            // Twice the longest period of any limit: no limit's current window starts before that.
            let longest = RateLimits.names.values.map { rateLimits[keyPath: $0].period }.max() ?? limit.period
            let expiredBefore = now - 2 * Int64(max(longest, limit.period).rounded(.up))
            let count = try await database.transaction { db in
                try await RateLimitWindowRepository.increment(key: digest, windowStart: windowStart, expiredBefore: expiredBefore, on: db)
            }
            allowed = count <= limit.count
            retryAfter = Int(max(1, windowStart + period - now))
        }
        guard allowed else {
            metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: retryAfter)
        }
    }
}
