import NIOCore
import NIOPosix
import SnackBaseStore
import Testing

/// ``EventLoopExecutor``: how `serve` with one CPU runs handlers and SQLite's writer on its one event loop.
@Suite("One event loop: the executor")
struct EventLoopExecutorTests {
    @Test("LOOP-001 a task that prefers the executor runs on its loop; a group of two loops has no only loop")
    func executorRunsOnItsLoop() async throws {
        let one = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let two = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        #expect(EventLoopExecutor.onlyLoop(of: two) == nil)
        try await two.shutdownGracefully()
        let executor = try #require(EventLoopExecutor.onlyLoop(of: one))
        let onLoop = await Task(executorPreference: executor) { executor.eventLoop.inEventLoop }.value
        #expect(onLoop)
        let inherited = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { executor.eventLoop.inEventLoop }
                return await group.next() ?? false
            }
        }
        #expect(inherited, "child tasks of a connection's handler stay on the loop")
        try await one.shutdownGracefully()
    }
}
