import ArgumentParser

/// The `snackbase` executable: one binary that migrates, serves and administers.
struct SnackBaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snackbase",
        abstract: "A self-hosted, multi-tenant backend-as-a-service.",
        subcommands: [ServeCommand.self, MigrateCommand.self, CreateSuperadminCommand.self, RulesCommand.self, AuditCommand.self, BackupCommand.self, RestoreCommand.self]
    )
}
