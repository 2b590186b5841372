import Foundation
import NIOCore
import Testing
@testable import SnackBaseMail

/// A transport that records what it was given and fails as told.
actor FakeTransport: MailTransport {
    enum Plan: Sendable { case succeed, failTransient, failPermanent }
    private(set) var sent: [String] = []
    private(set) var calls = 0
    private var plan: [Plan]
    private let fallback: Plan

    init(plan: [Plan] = [], otherwise fallback: Plan = .succeed) {
        self.plan = plan
        self.fallback = fallback
    }

    func send(_ message: MailMessage) async throws {
        calls += 1
        let step = plan.isEmpty ? fallback : plan.removeFirst()
        switch step {
        case .succeed: sent.append(message.subject)
        case .failTransient: throw SMTPError.transient(code: 421, text: "busy")
        case .failPermanent: throw SMTPError.permanent(code: 550, text: "no such user")
        }
    }
}

let fastRetry = MailQueue.RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100), maxAttempts: 1000)

@Suite struct MailQueueTests {
    // MARK: Against the real SMTP sink

    @Test func serverDownAtFirstThenUpDeliversExactlyOnce() async throws {
        let port = try await freePort()
        let client = try Fixtures.client("smtp://127.0.0.1:\(port)")
        let queue = MailQueue(transport: SMTPTransport(client: client), retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }

        let accepted = await queue.enqueue(Fixtures.message(subject: "Bestätigen Sie Ihre E-Mail ✓"))
        #expect(accepted)
        // enqueue returned before the mail had any outcome (the server is down: waiting for one would
        // mean a delivery or a give-up, after up to 1,000 retries).
        let early = await queue.statistics
        #expect(early.delivered == 0 && early.gaveUp == 0, "enqueue must not wait for the network")

        #expect(await eventually { await queue.statistics.attempts >= 3 }, "retries while the server is down")
        let sink = try await SMTPSink.start(port: port)
        defer { sink.stop() }
        #expect(await drain(queue, within: 20))
        try await Task.sleep(for: .milliseconds(300))
        let received = try sink.messages()
        #expect(received.count == 1)
        #expect(received.first?.subject == "Bestätigen Sie Ihre E-Mail ✓")
        let stats = await queue.statistics
        #expect(stats.delivered == 1 && stats.permanentFailures == 0 && stats.gaveUp == 0)
        #expect(stats.retries >= 2)
    }

    @Test func transient451TwiceThenDelivered() async throws {
        let sink = try await SMTPSink.start(["--fail-data", "2"])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://127.0.0.1:\(sink.port)")
        let queue = MailQueue(transport: SMTPTransport(client: client), retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        await queue.enqueue(Fixtures.message(subject: "retry me"))
        #expect(await drain(queue, within: 20))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try sink.messages().map(\.subject) == ["retry me"])
        #expect(sink.events().filter { $0 == "DATA-451" }.count == 2)
        let stats = await queue.statistics
        #expect(stats.attempts == 3 && stats.retries == 2 && stats.delivered == 1)
    }

    @Test func transient451OnRecipientThenDelivered() async throws {
        let sink = try await SMTPSink.start(["--fail-rcpt", "2"])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://127.0.0.1:\(sink.port)")
        let queue = MailQueue(transport: SMTPTransport(client: client), retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        await queue.enqueue(Fixtures.message())
        #expect(await drain(queue, within: 20))
        #expect(try sink.messages().count == 1)
        #expect(await queue.statistics.attempts == 3)
    }

    @Test func permanent5xxIsNotRetried() async throws {
        let sink = try await SMTPSink.start(["--reject-data"])
        defer { sink.stop() }
        let client = try Fixtures.client("smtp://127.0.0.1:\(sink.port)")
        let queue = MailQueue(transport: SMTPTransport(client: client), retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        await queue.enqueue(Fixtures.message(subject: "refused"))
        await queue.enqueue(Fixtures.message(subject: "also refused"))
        #expect(await drain(queue, within: 20))
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.events().filter { $0 == "DATA-554" }.count == 2, "one attempt per mail")
        #expect(try sink.messages().isEmpty)
        let stats = await queue.statistics
        #expect(stats.attempts == 2 && stats.permanentFailures == 2 && stats.retries == 0)
    }

    // MARK: With a fake transport

    @Test func deliversInOrder() async {
        let transport = FakeTransport(plan: [.succeed, .failTransient, .failTransient])
        let queue = MailQueue(transport: transport, retryPolicy: fastRetry, logger: quietLogger)
        for i in 0..<5 { await queue.enqueue(Fixtures.message(subject: "m\(i)")) }
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        #expect(await drain(queue, within: 10))
        #expect(await transport.sent == ["m0", "m1", "m2", "m3", "m4"])
        #expect(await transport.calls == 7)
    }

    @Test func boundedQueueDropsWhenFull() async {
        let queue = MailQueue(transport: FakeTransport(), capacity: 2, retryPolicy: fastRetry, logger: quietLogger)
        #expect(await queue.enqueue(Fixtures.message()))
        #expect(await queue.enqueue(Fixtures.message()))
        #expect(await queue.enqueue(Fixtures.message()) == false)
        #expect(await queue.statistics.dropped == 1)
        #expect(await queue.pendingCount == 2)
    }

    @Test func givesUpAfterMaxAttempts() async {
        let transport = FakeTransport(otherwise: .failTransient)
        let policy = MailQueue.RetryPolicy(initialDelay: .milliseconds(1), maxDelay: .milliseconds(5), maxAttempts: 4)
        let queue = MailQueue(transport: transport, retryPolicy: policy, logger: quietLogger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        await queue.enqueue(Fixtures.message())
        #expect(await drain(queue, within: 10))
        #expect(await transport.calls == 4)
        #expect(await queue.statistics.gaveUp == 1)
    }

    @Test func shutdownInterruptsBackOffAndRefusesNewMail() async {
        let transport = FakeTransport(otherwise: .failTransient)
        let policy = MailQueue.RetryPolicy(initialDelay: .seconds(60), maxDelay: .seconds(60), maxAttempts: 10)
        let queue = MailQueue(transport: transport, retryPolicy: policy, logger: quietLogger)
        let runner = Task { await queue.run() }
        await queue.enqueue(Fixtures.message())
        #expect(await eventually { await transport.calls == 1 })
        let start = ContinuousClock.now
        await queue.shutdown()
        await runner.value
        // The back-off is 60 s: a shutdown that waited for it would take at least that (no speed is measured here).
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(await queue.enqueue(Fixtures.message()) == false)
        #expect(await transport.calls == 1)
    }

    @Test func cancellingRunStopsIt() async {
        let transport = FakeTransport()
        let queue = MailQueue(transport: transport, retryPolicy: fastRetry, logger: quietLogger)
        let runner = Task { await queue.run() }
        await queue.enqueue(Fixtures.message(subject: "before"))
        #expect(await drain(queue, within: 10))
        let start = ContinuousClock.now
        runner.cancel()
        await runner.value  // idle wait is interrupted by cancellation
        // An idle queue waits for mail without end: returning at all is the property; the bound only
        // turns a hang into a failure (no speed is measured here).
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(await transport.sent == ["before"])
    }

    @Test func backOffSchedule() {
        let p = MailQueue.RetryPolicy()
        #expect(p.delay(afterAttempt: 1) == .seconds(1))
        #expect(p.delay(afterAttempt: 2) == .seconds(2))
        #expect(p.delay(afterAttempt: 3) == .seconds(4))
        #expect(p.delay(afterAttempt: 9) == .seconds(256))
        #expect(p.delay(afterAttempt: 10) == .seconds(300))
        #expect(p.delay(afterAttempt: 1000) == .seconds(300))
    }
}
