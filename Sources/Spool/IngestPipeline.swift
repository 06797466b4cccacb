import Foundation
import LibPQ
import Stages

/// Reads one input, validates each line, and stores valid records in batches.
///
/// Valid lines are kept even when others are rejected; each rejection is reported through
/// `onReject` with the line's raw bytes, so that nothing is skipped silently.
public struct IngestPipeline {
    public var parser: LineParser
    public var batchSize: Int

    public init(parser: LineParser, batchSize: Int = 5000) {
        self.parser = parser
        self.batchSize = batchSize
    }

    public func run(
        reader: inout LineReader, origin: String, ingestor: Ingestor,
        onReject: (LineError, ArraySlice<UInt8>) throws -> Void,
        onProgress: (IngestSummary, Int) -> Void = { _, _ in }
    ) throws -> IngestSummary {
        var summary = IngestSummary()
        var batch: [InteractionRecord] = []
        batch.reserveCapacity(batchSize)
        func flush() throws {
            let stored = try ingestor.store(batch, origin: origin)
            summary.accepted += stored.accepted
            summary.duplicates += stored.duplicates
            batch.removeAll(keepingCapacity: true)
            onProgress(summary, reader.bytesRead)
        }
        while let (number, bytes) = try reader.next() {
            summary.lines += 1
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }  // blank line
            switch parser.parse(bytes, line: number) {
            case .success(let records):
                batch.append(contentsOf: records)
                if batch.count >= batchSize { try flush() }
            case .failure(let error):
                summary.rejected += 1
                try onReject(error, bytes)
            }
        }
        if !batch.isEmpty { try flush() }
        return summary
    }
}
