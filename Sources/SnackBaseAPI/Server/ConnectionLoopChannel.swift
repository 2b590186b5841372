import HummingbirdCore
import Logging
import NIOCore
import SnackBaseStore

/// HTTP/1 whose request handlers run on the event loop of their connection (see
/// ``EventLoopExecutor``): the `serve` command's choice when the server has one loop, so that the
/// thread that reads a request also handles and answers it.
struct ConnectionLoopChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(value.channel.eventLoop)) {
            await http1.handle(value: value, logger: logger)
        }
    }
}
