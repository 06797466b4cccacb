import CoachSpoolCore
import Foundation
import LibPQ
import Logging
import Stages
import Synchronization

/// Reads one input, validates each line, and stores valid records in batches.
///
/// The calling thread only splits the input into lines; `writers` threads, each with its own
/// connection, parse a batch of lines and store it, so that JSON parsing (the client's main
/// cost) runs on several cores and overlaps the server's inserts. Valid lines are kept even when
/// others are rejected; each rejection goes to `onReject` (called under a lock, in line order
/// within a batch) with the line's bytes.
public struct IngestPipeline: Sendable {
    public var parser: LineParser
    public var batchSize: Int
    public var writers: Int
    /// How long a writer keeps retrying a batch while the database is away (see
    /// `ReconnectingConnection`).
    public var reconnectPatience: Duration
    public var logger: Logger

    /// Records per transaction, and writer threads: the settings docs/benchmarks.md measures
    /// ingest with; `ingest --batch-size/--writers` default to these (one definition).
    public static let defaultBatchSize = 5000
    public static let defaultWriters = 3
    /// How long ingest keeps retrying while the database is away (`--reconnect-timeout`).
    public static let defaultReconnectPatience: Duration = .seconds(120)

    public init(parser: LineParser, batchSize: Int = defaultBatchSize, writers: Int = defaultWriters,
                reconnectPatience: Duration = defaultReconnectPatience,
                logger: Logger = Logger(label: "coachspool.ingest")) {
        self.parser = parser
        self.batchSize = batchSize
        self.writers = max(1, writers)
        self.reconnectPatience = reconnectPatience
        self.logger = logger
    }

    /// Lines of the input, with their 1-based numbers, as handed to a writer.
    struct RawBatch: Sendable {
        var numbers: [Int] = []
        var bytes: [UInt8] = []
        var ends: [Int] = []
    }

    public func run(
        reader: inout LineReader, origin: String,
        connect: @escaping @Sendable () throws -> PGConnection,
        onReject: @escaping @Sendable (LineError, ArraySlice<UInt8>) throws -> Void,
        onProgress: (IngestSummary, Int) -> Void = { _, _ in }
    ) throws -> IngestSummary {
        let channel = BatchChannel<RawBatch>(capacity: writers * 2)
        let totals = Mutex(IngestSummary())
        let rejectLock = Mutex(())
        let finished = DispatchGroup()
        let (parser, patience, logger) = (parser, reconnectPatience, logger)
        for index in 0..<writers {
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                do {
                    let database = ReconnectingConnection(connect: connect, patience: patience, logger: logger)
                    var ingestor: Ingestor?
                    var generation = 0
                    while let raw = channel.take() {
                        var records: [InteractionRecord] = []
                        records.reserveCapacity(raw.numbers.count)
                        var rejected = 0
                        var start = 0
                        for (number, end) in zip(raw.numbers, raw.ends) {
                            let line = raw.bytes[start..<end]
                            start = end
                            switch parser.parse(line, line: number) {
                            case .success(let parsed): records.append(contentsOf: parsed)
                            case .failure(let error):
                                rejected += 1
                                try rejectLock.withLock { _ in try onReject(error, line) }
                            }
                        }
                        func store(_ records: [InteractionRecord]) throws -> (accepted: Int, duplicates: Int) {
                            try database.run { conn in
                                // A new connection needs its own staging table: a new Ingestor.
                                if generation != database.generation {
                                    ingestor = Ingestor(connection: conn)
                                    generation = database.generation
                                }
                                return try ingestor!.store(records, origin: origin)
                            }
                        }
                        var result: (accepted: Int, duplicates: Int)
                        do {
                            result = try store(records)
                        } catch let error as PGError where error.isRefusedValue {
                            // A value the checks let through and the database refused: the
                            // batch is stored line by line, and the lines it refuses are rejected
                            // like any bad line, instead of the whole input failing.
                            result = (0, 0)
                            var start = 0
                            var lines: [Int: ArraySlice<UInt8>] = [:]
                            for (number, end) in zip(raw.numbers, raw.ends) {
                                lines[number] = raw.bytes[start..<end]
                                start = end
                            }
                            for group in records.runs(by: \.line) {  // a session line gives several records
                                do {
                                    let stored = try store(group)
                                    result.accepted += stored.accepted
                                    result.duplicates += stored.duplicates
                                } catch let error as PGError where error.isRefusedValue {
                                    rejected += 1
                                    let line = group[0].line
                                    let problem = LineError(
                                        line: line, field: nil,
                                        expected: "refused by the database (SQLSTATE \(error.sqlState ?? "?")): a value outside what it can store")
                                    try rejectLock.withLock { _ in try onReject(problem, lines[line] ?? []) }
                                }
                            }
                        }
                        totals.withLock {
                            $0.accepted += result.accepted
                            $0.duplicates += result.duplicates
                            $0.rejected += rejected
                        }
                    }
                } catch {
                    channel.fail(error)
                }
            }
            thread.name = "coachspool-ingest-\(index)"
            thread.start()
        }

        var lines = 0
        var batch = RawBatch()
        func current() -> IngestSummary {
            var summary = totals.withLock { $0 }
            summary.lines = lines
            return summary
        }
        do {
            while let line = try reader.next() {
                let (number, bytes) = (line.number, line.bytes)
                lines += 1
                if line.isOverLong {
                    // Rejected here: a writer would only see an empty line.
                    let problem = LineError(
                        line: number, field: nil, expected: "longer than \(TextLimit.describe(reader.maxLineBytes)), the limit for one line")
                    try rejectLock.withLock { _ in try onReject(problem, []) }
                    totals.withLock { $0.rejected += 1 }
                    continue
                }
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }  // blank line
                batch.numbers.append(number)
                batch.bytes.append(contentsOf: bytes)
                batch.ends.append(batch.bytes.count)
                if batch.numbers.count >= batchSize {
                    guard channel.put(batch) else { break }
                    batch = RawBatch()
                    onProgress(current(), reader.bytesRead)
                }
            }
            if !batch.numbers.isEmpty { _ = channel.put(batch) }
        } catch {
            channel.fail(error)
        }
        channel.close()
        finished.wait()
        if let failure = channel.failure { throw failure }
        let result = current()
        onProgress(result, reader.bytesRead)
        return result
    }
}

/// A bounded hand-off between the parsing thread and the writer threads.
final class BatchChannel<Item: Sendable>: @unchecked Sendable {
    // Safe to share: every field is accessed under `condition`'s lock.
    private let condition = NSCondition()
    private var items: [Item] = []
    private let capacity: Int
    private var closed = false
    private var error: (any Error)?

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; false once a writer failed (the item is dropped, the run will throw).
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity, error == nil { condition.wait() }
        guard error == nil else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil once closed and drained, or after a failure.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty, !closed, error == nil { condition.wait() }
        guard error == nil, !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ failure: any Error) {
        condition.lock()
        if error == nil { error = failure }
        condition.broadcast()
        condition.unlock()
    }

    var failure: (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return error
    }
}
