import Foundation
import Logging
import NIOCore
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore
import Synchronization

/// Carries committed record changes to the open realtime streams of this process (realtime.md).
///
/// A write takes a place in line inside its transaction (``reserve()``), and after the transaction
/// ends it either ``commit(_:_:)``s its change or ``discard(_:)``s its place: changes reach the
/// streams in the order their transactions ran, which for one record is the order they committed
/// (its writes are serialized: SQLite's one writer, PostgreSQL's row lock), and a rolled-back
/// write sends nothing.
///
/// One dispatcher decides every change for every stream that listens to it, with the stream's
/// caller looked up again and the account's permissions as they are then — exactly the decision of
/// `GET /records/{collection}/{id}` (read flag, read rule, `filter`, field mask) — and queues the
/// frame in the stream's mailbox without ever waiting for a client.
package final class RealtimeHub: Sendable {
    package let settings: RealtimeSettings
    /// The tickets `EventSource` clients open streams with.
    package let tickets = RealtimeTickets()
    private let dispatcher: Dispatcher
    private let inbox: AsyncStream<Input>.Continuation
    private let input: AsyncStream<Input>
    private let line = Mutex(Line())
    private let counts = Mutex(Counts())
    private let tasks = Mutex<[Task<Void, Never>]?>([])

    enum Input: Sendable {
        case change(RecordChange)
        case subscribe(RealtimeStream, lastEventID: UInt64?)
        case gap
    }

    /// The places in line of the writes whose transactions have not been told to end yet.
    private struct Line {
        enum Fate { case committed(RecordChange), discarded }
        var next: UInt64 = 0
        var deliverNext: UInt64 = 0
        var ended: [UInt64: Fate] = [:]
    }

    private struct Counts {
        var total = 0
        var byKey: [String: Int] = [:]
    }

    package init(settings: RealtimeSettings, database: any Database, policies: PolicyCache, collections: CollectionCatalog, metrics: AppMetrics, logger: Logger) {
        self.settings = settings
        (input, inbox) = AsyncStream.makeStream(of: Input.self)
        dispatcher = Dispatcher(settings: settings, database: database, policies: policies, collections: collections, metrics: metrics, logger: logger)
    }

    // MARK: the write path

    /// A place in line for a write, taken inside its transaction.
    package func reserve() -> UInt64 {
        line.withLock { line in
            defer { line.next += 1 }
            return line.next
        }
    }

    /// The write at `place` committed `change`.
    package func commit(_ place: UInt64, _ change: RecordChange) { end(place, .committed(change)) }

    /// The write at `place` rolled back (or its change is no record event).
    package func discard(_ place: UInt64) { end(place, .discarded) }

    private func end(_ place: UInt64, _ fate: Line.Fate) {
        startIfNeeded()
        // Yielded under the lock, so that two writes ending at once reach the dispatcher in line order.
        line.withLock { line in
            line.ended[place] = fate
            while let next = line.ended.removeValue(forKey: line.deliverNext) {
                line.deliverNext += 1
                if case .committed(let change) = next { inbox.yield(.change(change)) }
            }
        }
    }

    /// A change committed by any process, as the ``RealtimeRelay`` received it (PostgreSQL, where
    /// changes arrive in commit order from the database and not through this process's line).
    package func receive(_ change: RecordChange) {
        startIfNeeded()
        inbox.yield(.change(change))
    }

    /// Changes may have been lost (the relay's listener reconnected, or a message did not open):
    /// every open stream gets `reset`, and no id from before resumes by replay.
    package func gap() {
        startIfNeeded()
        inbox.yield(.gap)
    }

    // MARK: streams

    /// Counts a new stream against the limits; false (429) when one is reached.
    package func admit(_ limitKey: String) -> Bool {
        counts.withLock { counts in
            guard counts.total < settings.maxStreams, counts.byKey[limitKey, default: 0] < settings.maxStreamsPerUser else { return false }
            counts.total += 1
            counts.byKey[limitKey, default: 0] += 1
            return true
        }
    }

    /// Starts delivering to `stream` (admitted first): the missed events after `lastEventID` from the
    /// recent ones, or `reset` when they are gone, then live events.
    package func subscribe(_ stream: RealtimeStream, lastEventID: UInt64?) {
        startIfNeeded()
        inbox.yield(.subscribe(stream, lastEventID: lastEventID))
    }

    /// The stream's response ended (closed by the server, or the client went away).
    package func end(_ stream: RealtimeStream) async {
        stream.mailbox.abandon()
        counts.withLock { counts in
            counts.total -= 1
            counts.byKey[stream.limitKey, default: 1] -= 1
            if counts.byKey[stream.limitKey] == 0 { counts.byKey[stream.limitKey] = nil }
        }
        await dispatcher.remove(stream)
    }

    /// Closes every stream with `closed: shutdown` and stops the dispatcher.
    package func shutdown() async {
        let running = tasks.withLock { tasks in
            defer { tasks = nil }
            return tasks ?? []
        }
        inbox.finish()
        for task in running { task.cancel() }
        await dispatcher.closeAll(.shutdown)
    }

    private func startIfNeeded() {
        tasks.withLock { tasks in
            guard let started = tasks, started.isEmpty else { return }
            let dispatcher = self.dispatcher
            let input = self.input
            let heartbeat = settings.heartbeatSeconds
            let executor = settings.executor
            tasks = [
                Task(executorPreference: executor) {
                    for await item in input {
                        switch item {
                        case .change(let change): await dispatcher.deliver(change)
                        case .subscribe(let stream, let last): await dispatcher.add(stream, lastEventID: last)
                        case .gap: await dispatcher.gap()
                        }
                    }
                },
                Task(executorPreference: executor) {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        await dispatcher.tick(heartbeatSeconds: heartbeat)
                    }
                },
            ]
        }
    }
}

extension RealtimeHub {
    /// The dispatcher's state: the open streams and the recent changes. Changes and subscriptions
    /// arrive one at a time from the hub's inbox, in line order.
    actor Dispatcher {
        private struct Entry {
            let stream: RealtimeStream
            var lastPush: ContinuousClock.Instant
        }

        private let settings: RealtimeSettings
        private let database: any Database
        private let policies: PolicyCache
        private let collections: CollectionCatalog
        private let metrics: AppMetrics
        private let logger: Logger
        private var streams: [ObjectIdentifier: Entry] = [:]
        /// The last changes with their event ids, oldest first (``RealtimeSettings/recentEvents``).
        private var recent: [(id: UInt64, change: RecordChange)] = []
        /// The id of the last event. Ids start from this process's start time in milliseconds × 1,000,
        /// so that an id another process (or an earlier run) gave is outside this one's range and gets `reset`.
        private var lastID: UInt64

        init(settings: RealtimeSettings, database: any Database, policies: PolicyCache, collections: CollectionCatalog, metrics: AppMetrics, logger: Logger) {
            self.settings = settings
            self.database = database
            self.policies = policies
            self.collections = collections
            self.metrics = metrics
            self.logger = logger
            self.lastID = UInt64(Date().timeIntervalSince1970 * 1000) * 1000
        }

        func add(_ stream: RealtimeStream, lastEventID: UInt64?) async {
            // A client gone before its stream got here was never counted open.
            guard !stream.mailbox.isClosed else { return }
            metrics.realtimeStreamOpened()
            var entry = Entry(stream: stream, lastPush: .now)
            var replayed = false
            if let last = lastEventID {
                let oldest = recent.first?.id ?? lastID + 1
                if last >= oldest - 1, last <= lastID {
                    for (id, change) in recent where id > last && stream.listens(to: change) {
                        if await deliver(change, id: id, to: [entry]) > 0 { replayed = true }
                    }
                } else {
                    stream.mailbox.push(Frames.reset)
                }
            }
            // The id of now, so that a client that saw no event yet can still resume from here.
            if !replayed { stream.mailbox.push(Frames.position(lastID)) }
            entry.lastPush = .now
            streams[ObjectIdentifier(stream)] = entry
        }

        /// Changes may have been lost: `reset` to every stream; the recent ones are forgotten and the
        /// id moves past the last one given, so that any earlier id gets `reset` on reconnection.
        func gap() {
            recent.removeAll()
            lastID += 1
            for entry in streams.values {
                if !entry.stream.mailbox.push(Frames.reset), !entry.stream.mailbox.isClosed { close(entry.stream, .slowConsumer) }
            }
        }

        func remove(_ stream: RealtimeStream) {
            guard streams.removeValue(forKey: ObjectIdentifier(stream)) != nil else { return }
            metrics.realtimeStreamClosed(reason: stream.closedReason?.label ?? "client_gone")
        }

        func closeAll(_ reason: RealtimeStream.CloseReason) {
            for entry in streams.values { close(entry.stream, reason) }
        }

        /// Heartbeats for idle streams, and the end of streams whose token expired.
        func tick(heartbeatSeconds: Int) {
            let now = ContinuousClock.now
            let seconds = Int(Date().timeIntervalSince1970)
            for (key, entry) in streams {
                if let expiresAt = entry.stream.expiresAt, expiresAt <= seconds {
                    close(entry.stream, .tokenExpired)
                } else if now - entry.lastPush >= .seconds(heartbeatSeconds), entry.stream.mailbox.isIdle {
                    entry.stream.mailbox.push(Frames.ping)
                    streams[key]?.lastPush = now
                }
            }
        }

        func deliver(_ change: RecordChange) async {
            lastID += 1
            recent.append((lastID, change))
            if recent.count > settings.recentEvents { recent.removeFirst(recent.count - settings.recentEvents) }
            let targets = streams.values.filter { $0.stream.listens(to: change) }
            guard !targets.isEmpty else { return }
            _ = await deliver(change, id: lastID, to: targets)
        }

        /// Decides `change` for each stream of `targets` and queues the frames it may see; returns how many.
        private func deliver(_ change: RecordChange, id: UInt64, to targets: [Entry]) async -> Int {
            // A collection deleted since: its records are gone, nothing to show.
            guard let (schema, writer) = try? await collections.record(change.collection, database: database) else { return 0 }
            let now = Timestamp.now()
            let seconds = Int(Date().timeIntervalSince1970)
            var callers: [String: Principal?] = [:]
            var delivered = 0
            for entry in targets {
                let stream = entry.stream
                if let expiresAt = stream.expiresAt, expiresAt <= seconds {
                    close(stream, .tokenExpired)
                    continue
                }
                let principal: Principal?
                if let known = callers[stream.identityKey] {
                    principal = known
                } else {
                    do {
                        principal = try await stream.resolve()
                    } catch {
                        logger.warning("realtime.identity_failed", metadata: ["error.type": .string(String(describing: type(of: error)))])
                        close(stream, .error)
                        continue
                    }
                    callers[stream.identityKey] = principal
                }
                guard let principal else {
                    close(stream, .revoked)
                    continue
                }
                // Account isolation, checked again on the caller as now (fail closed).
                guard principal.isSuperadmin || principal.accountID == change.accountID else { continue }
                let policy: AccessPolicy
                do {
                    policy = principal.isSuperadmin ? AccessPolicy(permissionsByRole: [:]) : try await policies.policy(for: principal.accountID, database: database)
                } catch {
                    close(stream, .error)
                    continue
                }
                if policy.refusalOfEveryRecord(.read, by: principal, on: schema) != nil {
                    if await readsNothing(stream, principal: principal, policy: policy) { close(stream, .forbidden) }
                    continue
                }
                guard let frame = Frames.event(change, id: id, principal: principal, policy: policy, schema: schema, writer: writer,
                                               filter: stream.filter, now: now)
                else { continue }
                if stream.mailbox.push(frame) {
                    delivered += 1
                    metrics.realtimeDelivered()
                    streams[ObjectIdentifier(stream)]?.lastPush = .now
                } else if !stream.mailbox.isClosed {
                    // Full: the client does not keep up. Dropped: what waited, and this frame.
                    metrics.realtimeDropped(stream.mailbox.count + 1)
                    close(stream, .slowConsumer)
                }
            }
            return delivered
        }

        /// True when no collection of the stream's topics grants the caller read any more.
        private func readsNothing(_ stream: RealtimeStream, principal: Principal, policy: AccessPolicy) async -> Bool {
            for name in stream.collections {
                guard let (schema, _) = try? await collections.record(name, database: database) else { continue }
                if policy.refusalOfEveryRecord(.read, by: principal, on: schema) == nil { return false }
            }
            return true
        }

        private func close(_ stream: RealtimeStream, _ reason: RealtimeStream.CloseReason) {
            stream.close(reason)
        }
    }
}
