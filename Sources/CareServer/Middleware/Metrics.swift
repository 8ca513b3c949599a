import Foundation
import Prometheus
import Vapor

/// Prometheus metrics, served at /metrics. One registry per application, so tests do not share counters.
final class CareMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let requests: Counter
    let requestSeconds: DurationHistogram
    let outboxSent: Counter
    let outboxFailed: Counter

    init() {
        requests = registry.makeCounter(name: "caredesk_http_requests_total")
        requestSeconds = registry.makeDurationHistogram(name: "caredesk_http_request_duration_seconds", buckets: [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ])
        outboxSent = registry.makeCounter(name: "caredesk_outbox_sent_total")
        outboxFailed = registry.makeCounter(name: "caredesk_outbox_failures_total")
    }

    func render(websocketClients: Int, chatVisitors: Int, droppedEvents: Int, sqliteCommits: (transactions: Int, writes: Int)?) -> String {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        var text = String(decoding: buffer, as: UTF8.self)
        text += "# TYPE caredesk_websocket_clients gauge\ncaredesk_websocket_clients \(websocketClients)\n"
        text += "# TYPE caredesk_chat_connections gauge\ncaredesk_chat_connections \(chatVisitors)\n"
        // Live events a subscriber (an agent's screen) was too far behind to get; the screen shows them on reload.
        text += "# TYPE caredesk_live_events_dropped_total counter\ncaredesk_live_events_dropped_total \(droppedEvents)\n"
        if let sqliteCommits {
            // Writes per transaction show how much the group commit of SQLite writers saves (see WriteGate).
            text += "# TYPE caredesk_sqlite_transactions_total counter\ncaredesk_sqlite_transactions_total \(sqliteCommits.transactions)\n"
            text += "# TYPE caredesk_sqlite_writes_total counter\ncaredesk_sqlite_writes_total \(sqliteCommits.writes)\n"
        }
        return text
    }
}

struct MetricsMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        defer {
            request.care.metrics.requests.increment()
            request.care.metrics.requestSeconds.record(ContinuousClock.now - start)
        }
        return try await next.respond(to: request)
    }
}
