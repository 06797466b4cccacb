import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The operators' endpoints of every long-running command: `/metrics` in Prometheus's text format
/// (everything the process recorded through swift-metrics) and `/ready` (200 while the process
/// can reach its database, 503 otherwise: a readiness probe). `work` serves them alone
/// (`service`); `serve` adds them to its API router (`addRoutes`): one definition for both.
public enum MetricsEndpoint {
    public static let metricsPath = "/metrics"
    public static let readyPath = "/ready"

    /// Batches take milliseconds (interactions) to many seconds (embedding a batch of long
    /// documents); the default buckets of swift-prometheus stop too early for the latter.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]

    /// Installs Prometheus as the process's swift-metrics backend. Once per process, before any
    /// metric is made (a metric made earlier stays a no-op).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// `/ready` (from `isReady`) and, with a registry, `/metrics` on `router`.
    public static func addRoutes<Context: RequestContext>(
        to router: Router<Context>, registry: PrometheusCollectorRegistry?, isReady: @escaping @Sendable () async -> Bool
    ) {
        router.on(RouterPath(readyPath), method: .get) { _, _ -> Response in
            let ready = await isReady()
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "no database connection\n")))
        }
        guard let registry else { return }
        router.on(RouterPath(metricsPath), method: .get) { _, _ -> Response in
            var text: [UInt8] = []
            text.reserveCapacity(16 << 10)
            registry.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// The endpoints as a server of their own (`work`), a service for the process's ServiceGroup.
    /// `onListening` gets the bound port (useful with port 0).
    public static func service(
        host: String, port: Int, registry: PrometheusCollectorRegistry, isReady: @escaping @Sendable () -> Bool,
        logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some Service {
        let router = Router()
        addRoutes(to: router, registry: registry, isReady: isReady)
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)  // no line per scrape
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: serverLogger)
    }
}
