import NIOCore
import Synchronization

/// The frames waiting for one stream's client: filled by the hub without ever waiting, emptied by
/// the response writer at the client's pace. More than `capacity` frames waiting closes the stream
/// (`slow consumer`): the frames are dropped and only the `closed` frame remains, so a client that
/// does not read holds a bounded amount of memory and never slows the others.
package final class RealtimeMailbox: Sendable {
    package enum Item: Sendable {
        case frame(ByteBuffer)
        /// The stream is over: the `closed` frame, then the end of the response.
        case last(ByteBuffer)
    }

    /// A queue of frames (an array read from `head`, compacted as it empties).
    private struct Frames {
        private var items: [ByteBuffer] = []
        private var head = 0
        var count: Int { items.count - head }
        var isEmpty: Bool { count == 0 }
        mutating func append(_ frame: ByteBuffer) { items.append(frame) }
        mutating func removeAll() { items.removeAll(); head = 0 }
        mutating func popFirst() -> ByteBuffer? {
            guard head < items.count else { return nil }
            let frame = items[head]
            head += 1
            if head == items.count { removeAll() } else if head >= 64, head * 2 >= items.count { items.removeFirst(head); head = 0 }
            return frame
        }
    }

    private struct State {
        var frames = Frames()
        var closing: ByteBuffer?
        var finished = false
        var waiter: CheckedContinuation<Item?, Never>?
    }

    private let state = Mutex(State())
    private let capacity: Int

    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues a frame; false when the stream is closed (or closes now because it was full).
    @discardableResult
    package func push(_ frame: ByteBuffer) -> Bool {
        let (waiter, accepted): (CheckedContinuation<Item?, Never>?, Bool) = state.withLock { state in
            guard state.closing == nil, !state.finished else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            guard state.frames.count < capacity else { return (nil, false) }
            state.frames.append(frame)
            return (nil, true)
        }
        waiter?.resume(returning: .frame(frame))
        return accepted
    }

    /// True when nothing is queued (a heartbeat is due only then).
    package var isIdle: Bool { state.withLock { $0.frames.isEmpty && $0.closing == nil } }

    /// Frames waiting.
    package var count: Int { state.withLock { $0.frames.count } }

    /// True once the stream was closed or its client went away.
    package var isClosed: Bool { state.withLock { $0.closing != nil || $0.finished } }

    /// Ends the stream with `frame` (the `closed` event); what was queued is dropped when `dropQueued`.
    /// Returns false when it had already ended.
    @discardableResult
    package func close(with frame: ByteBuffer, dropQueued: Bool) -> Bool {
        let (waiter, closed): (CheckedContinuation<Item?, Never>?, Bool) = state.withLock { state in
            guard state.closing == nil, !state.finished else { return (nil, false) }
            if dropQueued { state.frames.removeAll() }
            if let waiter = state.waiter {
                state.waiter = nil
                state.finished = true
                return (waiter, true)
            }
            state.closing = frame
            return (nil, true)
        }
        waiter?.resume(returning: .last(frame))
        return closed
    }

    /// The next item, waiting for one; nil after the last.
    package func next() async -> Item? {
        await withCheckedContinuation { continuation in
            let ready: Item?? = state.withLock { state in
                if let frame = state.frames.popFirst() { return .some(.frame(frame)) }
                if let closing = state.closing {
                    state.closing = nil
                    state.finished = true
                    return .some(.last(closing))
                }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The writer went away (the client disconnected): nothing more is queued.
    package func abandon() {
        let waiter = state.withLock { state in
            state.finished = true
            state.frames.removeAll()
            state.closing = nil
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
    }
}
