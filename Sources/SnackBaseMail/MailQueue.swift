import Logging

/// The outgoing-mail queue: request handlers ``enqueue(_:)`` and return at once; a background
/// loop (``run()``) delivers through the ``MailTransport`` in order.
///
/// - A transient failure (any error except ``SMTPError/permanent(code:text:)``) is retried with
///   exponential back-off — by default 1 s, 2 s, 4 s … capped at 5 min, at most 20 attempts (about
///   an hour) — then given up. A permanent failure is given up at once. Either way it is logged
///   and the next mail goes.
/// - The queue is in memory and bounded: when full, a new mail is dropped with a log line.
///   Mails still queued at shutdown are lost (and counted in the log line).
/// - Delivery problems never reach the caller: ``enqueue(_:)`` does not throw and never waits for
///   the network.
/// - Logs carry only the recipient domain (`mail.to_domain`), the SMTP code (`smtp.code`), the
///   attempt number and the (already redacted) error text — never a body, link or password.
///
/// Stopping: cancel the task running ``run()``, or call ``shutdown()`` (which waits for ``run()`` to
/// return; a delivery attempt in progress finishes first, bounded by the transport's timeouts).
/// Tests use ``waitUntilDrained()`` and ``statistics``.
public actor MailQueue {
    /// Back-off between attempts: `initialDelay · 2^(attempt-1)`, capped at `maxDelay`.
    public struct RetryPolicy: Sendable, Equatable {
        public var initialDelay: Duration
        public var maxDelay: Duration
        /// Attempts in all, the first one included.
        public var maxAttempts: Int

        public init(initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300), maxAttempts: Int = 20) {
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.maxAttempts = max(1, maxAttempts)
        }

        /// The wait after the `attempt`-th failed attempt (1-based).
        public func delay(afterAttempt attempt: Int) -> Duration {
            let factor = 1 << min(max(attempt - 1, 0), 30)
            return min(initialDelay * factor, maxDelay)
        }
    }

    /// Counters since the queue was created.
    public struct Statistics: Sendable, Equatable {
        public var enqueued = 0
        public var delivered = 0
        public var attempts = 0
        public var retries = 0
        public var permanentFailures = 0
        public var gaveUp = 0
        public var dropped = 0
    }

    public private(set) var statistics = Statistics()

    private let transport: any MailTransport
    private let capacity: Int
    private let retryPolicy: RetryPolicy
    private let logger: Logger

    private var pending: [MailMessage] = []
    private var running = false
    private var stopping = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var timer: Task<Void, Never>?
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    public init(
        transport: any MailTransport,
        capacity: Int = 1000,
        retryPolicy: RetryPolicy = RetryPolicy(),
        logger: Logger = Logger(label: "snackbase.mail")
    ) {
        self.transport = transport
        self.capacity = max(1, capacity)
        self.retryPolicy = retryPolicy
        self.logger = logger
    }

    /// Mails waiting, the one being delivered included.
    public var pendingCount: Int { pending.count }

    /// Queues `message` for delivery and returns at once. Returns `false` (and logs) when the mail
    /// was dropped because the queue is full or shut down.
    @discardableResult
    public func enqueue(_ message: MailMessage) -> Bool {
        guard !stopping else {
            statistics.dropped += 1
            logger.warning("mail dropped: the mail queue is shut down", metadata: Self.metadata(message))
            return false
        }
        guard pending.count < capacity else {
            statistics.dropped += 1
            var metadata = Self.metadata(message)
            metadata["mail.queue_capacity"] = "\(capacity)"
            logger.error("mail dropped: the mail queue is full", metadata: metadata)
            return false
        }
        pending.append(message)
        statistics.enqueued += 1
        wake()
        return true
    }

    /// Delivers queued mails until cancelled or ``shutdown()``. Call it once (e.g. in a service
    /// group or `Task { await queue.run() }`); a second concurrent call returns at once.
    public func run() async {
        guard !running else {
            logger.warning("MailQueue.run() called while already running")
            return
        }
        running = true
        defer {
            running = false
            timer?.cancel()
            timer = nil
            for w in stopWaiters { w.resume() }
            stopWaiters = []
            resumeDrainWaiters()
        }
        while !stopping && !Task.isCancelled {
            guard let message = pending.first else {
                await suspend(until: nil)
                continue
            }
            let finished = await deliver(message)
            guard finished else { break }
            pending.removeFirst()
            if pending.isEmpty { resumeDrainWaiters() }
        }
        if !pending.isEmpty {
            logger.warning("mail queue stopped with undelivered mails", metadata: ["mail.undelivered": "\(pending.count)"])
        }
    }

    /// Stops the loop: no new mails are accepted, the back-off wait is interrupted, a delivery in
    /// progress finishes. Returns when ``run()`` has returned.
    public func shutdown() async {
        stopping = true
        wake()
        if running {
            await withCheckedContinuation { stopWaiters.append($0) }
        }
        resumeDrainWaiters()
    }

    /// Returns when no mail is queued or being delivered (or the queue stops).
    public func waitUntilDrained() async {
        if pending.isEmpty || stopping { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    // MARK: - Delivery

    /// Tries `message` until delivered, permanently failed or out of attempts (→ `true`), or until
    /// the queue stops during a back-off wait (→ `false`, the mail stays queued).
    private func deliver(_ message: MailMessage) async -> Bool {
        var attempt = 0
        while true {
            attempt += 1
            statistics.attempts += 1
            var metadata = Self.metadata(message)
            metadata["mail.attempt"] = "\(attempt)"
            do {
                try await transport.send(message)
                statistics.delivered += 1
                logger.info("mail delivered", metadata: metadata)
                return true
            } catch {
                let smtpError = error as? SMTPError
                if let code = smtpError?.code { metadata["smtp.code"] = "\(code)" }
                metadata["mail.error"] = "\(smtpError?.text ?? String(describing: error))"
                if smtpError?.isPermanent == true {
                    statistics.permanentFailures += 1
                    logger.error("mail not delivered: permanent failure, giving up", metadata: metadata)
                    return true
                }
                if stopping || Task.isCancelled { return false }
                if attempt >= retryPolicy.maxAttempts {
                    statistics.gaveUp += 1
                    logger.error("mail not delivered: still failing after the last attempt, giving up", metadata: metadata)
                    return true
                }
                let delay = retryPolicy.delay(afterAttempt: attempt)
                statistics.retries += 1
                metadata["mail.retry_in"] = "\(delay)"
                logger.warning("mail delivery failed, will retry", metadata: metadata)
                let wakeAt = ContinuousClock.now + delay
                while ContinuousClock.now < wakeAt && !stopping && !Task.isCancelled {
                    await suspend(until: wakeAt)
                }
                if stopping || Task.isCancelled { return false }
            }
        }
    }

    // MARK: - Waiting

    /// Suspends until ``wake()`` (new mail, shutdown, cancellation) or `deadline`. May return early;
    /// callers re-check their condition.
    private func suspend(until deadline: ContinuousClock.Instant?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if stopping || Task.isCancelled {
                    continuation.resume()
                    return
                }
                waiter = continuation
                if let deadline {
                    timer = Task { [weak self] in
                        try? await Task.sleep(until: deadline, clock: .continuous)
                        if !Task.isCancelled { await self?.wake() }
                    }
                }
            }
        } onCancel: {
            Task { await self.wake() }
        }
    }

    private func wake() {
        timer?.cancel()
        timer = nil
        if let w = waiter {
            waiter = nil
            w.resume()
        }
    }

    private func resumeDrainWaiters() {
        for w in drainWaiters { w.resume() }
        drainWaiters = []
    }

    private static func metadata(_ message: MailMessage) -> Logger.Metadata {
        var domains: [String] = []
        for d in message.to.map(\.domain) where !domains.contains(d) { domains.append(d) }
        return ["mail.to_domain": "\(domains.joined(separator: ","))"]
    }
}
