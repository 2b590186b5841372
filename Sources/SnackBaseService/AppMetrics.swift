import Metrics
import Prometheus
import SnackBaseStore
import Synchronization

/// The server's Prometheus metrics (security-model.md §7), recorded through swift-metrics into a
/// registry of this server's own (no process-wide bootstrap, so several apps, as in tests, never
/// share counters). Labels are closed sets — method, route pattern, status, a reason class — and
/// never carry a tenant, a user or a raw path.
public struct AppMetrics: Sendable {
    /// Why a request was refused, as the denial counters label it.
    public enum DenialReason: String, Sendable, CaseIterable {
        /// A 403 that is neither of the two below: a missing permission, a failed rule, a field not writable.
        case forbidden
        /// A request naming another account.
        case crossAccount = "cross_account"
        /// A request for more power than the caller has: account administration without the admin role,
        /// superadmin routes, one's own roles.
        case escalation
        /// A 401 on a protected route although a token was presented (expired, revoked, forged).
        case unauthenticated
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let denials: [DenialReason: Metrics.Counter]
    private let crossAccount: Metrics.Counter
    private let escalation: Metrics.Counter
    private let loginFailures: Metrics.Counter
    private let rateLimited: Metrics.Counter
    private let auditFailures: Metrics.Counter
    private let cacheHits: Prometheus.Counter
    private let cacheMisses: Prometheus.Counter
    private let cacheSync = CacheCounterSync()
    private let streamsOpen: Prometheus.Gauge
    private let eventsDelivered: Prometheus.Counter
    private let eventsDropped: Prometheus.Counter
    private let streamsClosed: [String: Prometheus.Counter]
    private let requestSeries = RequestSeries()

    package static let requests = "snackbase_http_requests_total"
    package static let duration = "snackbase_http_request_duration_seconds"

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        self.registry = registry
        self.factory = factory
        var denials: [DenialReason: Metrics.Counter] = [:]
        for reason in DenialReason.allCases {
            denials[reason] = Metrics.Counter(label: "snackbase_authz_denials_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.denials = denials
        crossAccount = Metrics.Counter(label: "snackbase_cross_account_attempts_total", factory: factory)
        escalation = Metrics.Counter(label: "snackbase_escalation_attempts_total", factory: factory)
        loginFailures = Metrics.Counter(label: "snackbase_login_failures_total", factory: factory)
        rateLimited = Metrics.Counter(label: "snackbase_rate_limit_hits_total", factory: factory)
        auditFailures = Metrics.Counter(label: "snackbase_audit_write_failures_total", factory: factory)
        cacheHits = registry.makeCounter(name: "snackbase_permission_cache_hits_total")
        cacheMisses = registry.makeCounter(name: "snackbase_permission_cache_misses_total")
        streamsOpen = registry.makeGauge(name: "snackbase_realtime_streams")
        eventsDelivered = registry.makeCounter(name: "snackbase_realtime_events_delivered_total")
        eventsDropped = registry.makeCounter(name: "snackbase_realtime_events_dropped_total")
        var closed: [String: Prometheus.Counter] = [:]
        for reason in ["token_expired", "revoked", "forbidden", "slow_consumer", "shutdown", "error", "client_gone"] {
            closed[reason] = registry.makeCounter(name: "snackbase_realtime_streams_closed_total", labels: [("reason", reason)])
        }
        streamsClosed = closed
    }

    package func realtimeStreamOpened() { streamsOpen.increment() }
    /// A stream ended; `reason` is a ``RealtimeStream/CloseReason`` label or `client_gone`.
    package func realtimeStreamClosed(reason: String) {
        streamsOpen.decrement()
        streamsClosed[reason]?.increment()
    }
    package func realtimeDelivered() { eventsDelivered.increment() }
    package func realtimeDropped(_ count: Int = 1) { eventsDropped.increment(by: Int64(count)) }

    /// One answered request: its method, its route pattern (`/api/v1/records/:collection`, never the
    /// path as sent) and its status.
    package func request(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestSeries.Key(method: method, route: route, status: status)
        let series = requestSeries.series(for: key) {
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            return (Metrics.Counter(label: Self.requests, dimensions: dimensions, factory: factory),
                    Metrics.Timer(label: Self.duration, dimensions: dimensions, factory: factory))
        }
        series.count.increment()
        let (seconds, attoseconds) = duration.components
        series.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    package func denied(_ reason: DenialReason) {
        denials[reason]?.increment()
        switch reason {
        case .crossAccount: crossAccount.increment()
        case .escalation: escalation.increment()
        case .forbidden, .unauthenticated: break
        }
    }

    package func loginFailed() { loginFailures.increment() }
    package func rateLimitHit() { rateLimited.increment() }
    package func auditWriteFailed() { auditFailures.increment() }

    /// The text exposition of every metric, after bringing the permission-cache counters up to date.
    package func render(policies: PolicyCache) async -> String {
        let (hits, misses) = await (policies.hits, policies.misses)
        let (newHits, newMisses) = await cacheSync.advance(hits: hits, misses: misses)
        if newHits > 0 { cacheHits.increment(by: Int64(newHits)) }
        if newMisses > 0 { cacheMisses.increment(by: Int64(newMisses)) }
        return registry.emitToString()
    }
}

/// The cache's counters as last copied into the registry, so each scrape adds only what is new.
package actor CacheCounterSync {
    private var hits = 0
    private var misses = 0

    package func advance(hits: Int, misses: Int) -> (Int, Int) {
        defer {
            self.hits = max(self.hits, hits)
            self.misses = max(self.misses, misses)
        }
        return (max(0, hits - self.hits), max(0, misses - self.misses))
    }
}

/// The request counter and timer of each method, route and status, made once (the registry looks
/// them up by their labels' texts, which every request would otherwise build and hash again). At most
/// ``limit`` are kept: past them (methods are any token a client sends) each request makes its own.
final class RequestSeries: Sendable {
    struct Key: Hashable, Sendable {
        let method: String
        let route: String
        let status: Int
    }
    static let limit = 1_024
    private let made = Mutex<[Key: (count: Metrics.Counter, duration: Metrics.Timer)]>([:])

    func series(for key: Key, make: () -> (Metrics.Counter, Metrics.Timer)) -> (count: Metrics.Counter, duration: Metrics.Timer) {
        if let known = made.withLock({ $0[key] }) { return known }
        let series = make()
        made.withLock { made in
            if made.count < Self.limit { made[key] = series }
        }
        return series
    }
}
