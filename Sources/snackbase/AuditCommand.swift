import ArgumentParser
import Foundation
import Logging
import SnackBaseStore

/// `snackbase audit …`: offline checks of the audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.", subcommands: [AuditVerifyCommand.self]
    )
}

/// `snackbase audit verify`: walks every account's chain (sequence, link, hash); prints the first
/// broken entry and exits 1 when one is found, else prints how many entries it checked.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Verify every account's audit chain; exit 1 when one is broken.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var broken = false
        try await reportingSettingErrors {
            broken = try await verifyAuditChains(database, settings: Settings())
        }
        if broken { throw ExitCode(1) }
    }
}

/// Opens the database, walks every account's audit chain (sequence, link, hash) and prints the
/// result: how many entries were checked, and the first broken one on standard error. Returns
/// whether a chain is broken (`audit verify` and `restore` then exit 1).
func verifyAuditChains(_ database: DatabaseOptions, settings: Settings) async throws -> Bool {
    var logger = Logger(label: "snackbase")
    logger.logLevel = .warning
    let (db, _) = try await database.open(settings, logger: logger)
    let result: AuditVerification
    do {
        result = try await AuditLog.verify(account: nil, on: db)
    } catch {
        await db.shutdown()
        throw error
    }
    await db.shutdown()
    guard let entry = result.broken else {
        print("audit log valid: \(result.checked) entries checked")
        return false
    }
    FileHandle.standardError.write(Data("""
        audit chain broken: account \(entry.accountID), entry \(entry.id) (sequence \(entry.sequence)): \(entry.problem)
        checked \(result.checked) entries

        """.utf8))
    return true
}
