/// Where CoachSpool's listeners (`serve`, `work --metrics-port`) bind unless told otherwise:
/// loopback, so that nothing is reachable from another host until an operator says so
/// (`--host 0.0.0.0`, `--metrics-host 0.0.0.0`; the deploy files do, for their scrapers).
public enum ListenAddress {
    public static let defaultHost = "127.0.0.1"
}
