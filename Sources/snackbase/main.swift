import Logging

LoggingSystem.bootstrap(ConsoleLogHandler.init)

/// In an async function the compiler picks ArgumentParser's async `main` (top-level code picks
/// the synchronous one, which cannot run an async subcommand).
func runCommand() async {
    await SnackBaseCommand.main(nil)
}
await runCommand()
