import Hummingbird
import NIOCore
import SnackBaseCore

/// The typed context of every request: its id, the caller's address and, once the
/// authenticator ran, who is calling. Handlers ask ``requireIdentity()``, never a dictionary.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public let remoteAddress: String?
    /// The connection the request came on, for a response that has to end it itself (a realtime
    /// stream whose client stopped reading).
    public let connection: any Channel
    /// Set by ``AuthenticationMiddleware`` when the request proved who it is (or named an account anonymously).
    public var identity: Principal?
    /// Why a presented token was refused; the gate reports this instead of a bare "authentication required".
    public var authenticationFailure: SnackBaseError?
    /// True when the request carried an `Authorization` header.
    public var presentedToken = false
    /// The account and user of a token whose signature checked but whose sign-in was refused (the
    /// user deactivated, the session revoked): where the denial is audited.
    public var refusedSignIn: (accountID: AccountID, userID: String)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        connection = source.channel
    }

    public var maxUploadSize: Int { JSONBody.maxBytes }

    /// The caller, or a 401 (the presented token's failure, if one was refused).
    public func requireIdentity() throws(SnackBaseError) -> Principal {
        if let failure = authenticationFailure { throw failure }
        guard let identity else { throw .unauthorized() }
        return identity
    }

    /// The caller, who must be a signed-in user (not anonymous).
    public func requireUser() throws(SnackBaseError) -> Principal {
        let principal = try requireIdentity()
        guard !principal.isAnonymous else { throw .unauthorized() }
        return principal
    }

    /// The caller, who must be a superadmin.
    public func requireSuperadmin() throws(SnackBaseError) -> Principal {
        let principal = try requireUser()
        guard principal.isSuperadmin else { throw .escalation("Superadmin access required") }
        return principal
    }
}
