import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/auth/mfa`: TOTP enrolment, confirmation, turning it off, and the second step of a login.
struct TwoFactorController {
    let services: AppServices

    private var twoFactor: TwoFactorService { TwoFactorService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("totp", use: enrol)
        group.post("totp/confirm", use: confirm)
        group.delete("totp", use: disable)
        group.post("verify", use: verify)
    }

    struct EnrolmentAnswer: Encodable {
        let secret: String
        let otpauthUrl: String
        let recoveryCodes: [String]
    }

    @Sendable func enrol(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let enrolment = try await twoFactor.startEnrolment(by: principal)
        return try JSONBody.response(.created, EnrolmentAnswer(secret: enrolment.secret, otpauthUrl: enrolment.otpauthURL, recoveryCodes: enrolment.recoveryCodes))
    }

    struct CodeBody: Decodable {
        let code: String
    }

    @Sendable func confirm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let body = try await JSONBody.decode(CodeBody.self, from: request)
        try await twoFactor.confirm(code: body.code, by: principal, from: context.remoteAddress)
        return JSONBody.noContent()
    }

    @Sendable func disable(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let body = try await JSONBody.decode(CodeBody.self, from: request)
        try await twoFactor.disable(code: body.code, by: principal, from: context.remoteAddress)
        return JSONBody.noContent()
    }

    struct VerifyBody: Decodable {
        let mfaToken: String
        let code: String?
        let recoveryCode: String?
    }

    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(VerifyBody.self, from: request)
        let session = try await twoFactor.verify(token: body.mfaToken, code: body.code, recoveryCode: body.recoveryCode, from: context.remoteAddress)
        return try AuthController.loginResponse(session)
    }
}
