import Foundation
import Logging
import NIOCore
import ArgumentParser

LoggingSystem.bootstrap(ConsoleLogHandler.init)

// One event loop per CPU this process may run on (its affinity: `taskset`, a cpuset), not per CPU of
// the machine, which is what NIO counts: on one core, a second loop thread only adds switches.
// `Cpus_allowed` is the affinity mask in hex, in comma-separated groups of 32 bits.
if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) {
    let cpus = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, digit in count + (digit.hexDigitValue?.nonzeroBitCount ?? 0) }
    if cpus > 0, cpus < System.coreCount { NIOSingletons.groupLoopCountSuggestion = cpus }
}

/// In an async function the compiler picks ArgumentParser's async `main` (top-level code picks
/// the synchronous one, which cannot run an async subcommand).
func runCommand() async {
    await SnackBaseCommand.main(nil)
}
await runCommand()
