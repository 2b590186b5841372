import Foundation
import Hummingbird
import Logging
import NIOCore
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService

/// `/api/v1/realtime`: Server-Sent Events of record changes (realtime.md), and the tickets that let
/// `EventSource` open a stream without an access token in its URL.
struct RealtimeController {
    let services: AppServices
    private let realtime: RealtimeService

    init(services: AppServices) {
        self.services = services
        self.realtime = RealtimeService(services: services)
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get { try await stream($0, $1) }
        group.post("tickets") { try await ticket($0, $1) }
    }

    private func ticket(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let claims = try await claims(of: request)
        let (ticket, expiresIn) = try realtime.issueTicket(for: principal, family: principal.sessionFamily, expiresAt: claims.expiresAt)
        return try JSONBody.response(.created, TicketAnswer(ticket: ticket, expires_in: expiresIn))
    }

    private struct TicketAnswer: Encodable {
        let ticket: String
        let expires_in: Int
    }

    /// The access token's claims (its expiry ends the stream, its family is the sign-in).
    private func claims(of request: Request) async throws -> Claims {
        guard let header = request.headers[.authorization] else { throw SnackBaseError.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw SnackBaseError.unauthorized("Invalid authorization header") }
        return try await services.tokens.verify(String(parts[1]), expecting: .access)
    }

    /// Who opens the stream, in the order of realtime.md: a bearer token, a ticket, an anonymous account.
    private func caller(_ request: Request, _ context: AppRequestContext, _ query: FormQuery) async throws -> RealtimeService.Caller {
        if let principal = context.identity, principal.isAPIKey, context.authenticationFailure == nil {
            let bearer = request.headers[.authorization].flatMap { $0.split(separator: " ", maxSplits: 1).last.map(String.init) }
            guard let key = request.headers[.apiKey] ?? bearer else { throw SnackBaseError.unauthorized() }
            return realtime.apiKey(principal, key: key, address: context.remoteAddress)
        }
        if context.presentedToken {
            let principal = try context.requireUser()
            let claims = try await claims(of: request)
            return realtime.user(principal, family: claims.family, expiresAt: claims.expiresAt)
        }
        if let ticket = query["ticket"] {
            guard let holder = try await realtime.ticketHolder(ticket) else { throw SnackBaseError.unauthorized("Invalid or used ticket") }
            return holder
        }
        if let principal = context.identity, principal.isAnonymous {
            return realtime.anonymous(principal, address: context.remoteAddress)
        }
        if context.authenticationFailure == nil, let name = query["account"], !name.isEmpty {
            guard let principal = try await services.identities.anonymous(in: name) else { throw SnackBaseError.unauthorized("Unknown account") }
            return realtime.anonymous(principal, address: context.remoteAddress)
        }
        _ = try context.requireIdentity()
        throw SnackBaseError.unauthorized()
    }

    private func stream(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = FormQuery(request)
        let caller = try await caller(request, context, query)
        let stream = try await realtime.open(.init(
            topics: query["topics"], filter: query["filter"], accountID: query["account_id"],
            lastEventID: request.headers[.lastEventID] ?? query["last_event_id"]
        ), caller: caller)
        let hub = services.realtime
        let connection = context.connection
        let logger = context.logger
        // Once the server ends the stream, the writer has `closingDeadline` to write what is left
        // and `closed`. A client that stopped reading keeps that writer waiting on a full socket
        // for good (its mailbox dropped its frames, but nothing could write the end): its
        // connection is closed regardless, which fails the waiting write and releases the stream.
        let deadline = TimeAmount.nanoseconds(Int64(hub.settings.closingDeadline / .nanoseconds(1)))
        stream.onClose { reason in
            let timer = connection.eventLoop.scheduleTask(in: deadline) {
                logger.notice("realtime.connection_closed", metadata: ["realtime.close_reason": .string(reason.rawValue)])
                connection.close(promise: nil)
            }
            connection.closeFuture.whenComplete { _ in timer.cancel() }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache, no-store"
        headers[.xAccelBuffering] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                try await writer.write(RealtimeHub.Frames.opening)
                while let item = await stream.mailbox.next() {
                    switch item {
                    case .frame(let frame):
                        try await writer.write(frame)
                    case .last(let frame):
                        try await writer.write(frame)
                    }
                }
                await hub.end(stream)
                try await writer.finish(nil)
                // Ended by the server: the connection ends too (once what was written is sent), so
                // that a client sees the end at once and a stuck one holds nothing.
                if stream.closedReason != nil { connection.close(mode: .output, promise: nil) }
            } catch {
                // The client went away (or the connection failed, or was closed past the deadline).
                await hub.end(stream)
                throw error
            }
        })
    }
}
