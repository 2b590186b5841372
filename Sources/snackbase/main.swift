import Logging
import NIOCore
import NIOPosix

// Swift Concurrency's jobs run on the event loops that do the I/O, instead of on a second thread
// pool: a request no longer hops between threads on its way from socket to handler and back.
// This has to happen before the first asynchronous job, hence a top-level main.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
LoggingSystem.bootstrap(ConsoleLogHandler.init)

/// In an async function the compiler picks ArgumentParser's async `main` (top-level code picks
/// the synchronous one, which cannot run an async subcommand).
func runCommand() async {
    await SnackBaseCommand.main(nil)
}
await runCommand()
