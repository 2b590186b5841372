import NIOCore

/// Runs tasks on one NIO event loop: a task that prefers this executor
/// (`withTaskExecutorPreference`, `Task(executorPreference:)`) runs its code on the loop's thread.
///
/// When the server may use one CPU, its only loop thread is where requests are read and answered;
/// Swift's global executor would run the handlers and the SQLite writer on a thread of its own,
/// and every request crossed between the two threads twice (a wake-up, a switch). There the
/// `serve` command runs handlers and writer on the loop instead: one thread, no crossings. S3
/// (creates) +9.5 %, batches of ~31 writes instead of ~17. With more CPUs nothing changes: the
/// global executor's threads then work beside the loops.
public final class EventLoopExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executor of `group`'s loop when the group has exactly one, else nil.
    public static func onlyLoop(of group: any EventLoopGroup) -> EventLoopExecutor? {
        var loops = group.makeIterator()
        guard let first = loops.next(), loops.next() == nil else { return nil }
        return EventLoopExecutor(first)
    }
}
