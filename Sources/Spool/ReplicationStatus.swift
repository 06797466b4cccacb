import LibPQ

/// Where a read was served and how far behind it is: `coachspool status` shows it.
///
/// On a standby, `replayLagSeconds` is 0 when everything received has been replayed, else the age
/// of the last replayed commit (the usual measure, which overstates the lag while the primary is
/// idle); `replayLagBytes` is WAL received but not yet replayed. On a primary, `standbys` lists
/// what `pg_stat_replication` shows (its lag columns need `pg_monitor` or a superuser, else nil).
public struct ReplicationStatus: Sendable, Encodable {
    public struct Standby: Sendable, Encodable {
        public var name: String
        public var state: String?
        public var syncState: String?
        public var replayLagSeconds: Double?
        public var replayLagBytes: Int?
    }

    /// What the server is: `"primary"` or `"standby"` in JSON.
    public enum Role: String, Sendable, Encodable {
        case primary, standby
    }

    public var role: Role
    public var server: String?
    /// On a standby: whether its WAL receiver streams from a primary right now.
    public var receiving: Bool?
    public var replayLagSeconds: Double?
    public var replayLagBytes: Int?
    public var standbys: [Standby]

    public var isStandby: Bool { role == .standby }

    public static func read(_ conn: PGConnection) throws -> ReplicationStatus {
        let node = try conn.query("""
            SELECT pg_is_in_recovery(), coalesce(host(inet_server_addr()) || ':' || inet_server_port(), 'local socket')
            """)[0]
        let server = try node.decode(String?.self, at: 1)
        guard try node.decode(Bool.self, at: 0) else {
            let standbys = try conn.query("""
                SELECT application_name, state, sync_state, extract(epoch FROM replay_lag)::float8,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint
                  FROM pg_stat_replication ORDER BY application_name
                """).map {
                Standby(name: try $0.decode(String.self, at: 0), state: try $0.decode(String?.self, at: 1),
                        syncState: try $0.decode(String?.self, at: 2), replayLagSeconds: try $0.decode(Double?.self, at: 3),
                        replayLagBytes: try $0.decode(Int?.self, at: 4))
            }
            return ReplicationStatus(role: .primary, server: server, standbys: standbys)
        }
        let lag = try conn.query("""
            SELECT coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false),
                   CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END,
                   pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint
            """)[0]
        return ReplicationStatus(
            role: .standby, server: server, receiving: try lag.decode(Bool.self, at: 0),
            replayLagSeconds: try lag.decode(Double?.self, at: 1), replayLagBytes: try lag.decode(Int?.self, at: 2), standbys: [])
    }
}
