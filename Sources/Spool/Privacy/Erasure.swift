import Crypto
import LibPQ
import Stages

/// A right-to-erasure request: `coachspool.erase_user` removes a person from every table in one
/// transaction; the training runs that learnt from them are named first (erasure removes the
/// lineage, and its trigger flags those runs).
public enum Erasure {
    public struct Result: Sendable {
        /// Rows removed per table.
        public var removed: [(table: String, rows: Int)]
        /// Training runs whose train split held the person's conversations.
        public var trainingRuns: [Int64]
        /// The first 8 bytes of the id's SHA-256 (hex): what logs and output may show instead of the id.
        public var userDigest: String
    }

    public static func erase(_ conn: PGConnection, user: String) throws -> Result {
        let (removed, runs) = try conn.transaction { conn in
            let runs = try TrainingRuns.runs(ofUser: user, conn)
            let removed = try conn.query("SELECT table_name, removed FROM coachspool.erase_user(\(user))")
                .map { (table: try $0.decode(String.self, at: 0), rows: try $0.decode(Int.self, at: 1)) }
            return (removed, runs)
        }
        return Result(removed: removed, trainingRuns: runs, userDigest: digest(of: user))
    }

    public static func digest(of user: String) -> String {
        SHA256.hash(data: Array(user.utf8)).prefix(8).hexString
    }
}
