import CoachSpoolCore
import Embeddings
import Foundation
import LibPQ
import Queue
import Metrics
import Spool
import Stages

/// `embed:N` jobs: load the documents → `DocumentChunker` (cut and redact) → embed the whole
/// batch in one call → complete, writing the chunks with binary COPY in the transaction that
/// retires the jobs, replacing the documents' previous chunks in the space.
///
/// A document whose current content already has chunks in the space is skipped: nothing is
/// embedded twice. The language of a document without a given one is detected
/// (`LanguageDetector`) for every document handled, embedded or skipped, and stored in
/// `detected_language` before the chunks are written, so that their full-text index uses it.
struct DocumentHandler: JobHandler {
    let space: Int32
    let embedder: any Embedder
    let chunker: DocumentChunker
    let metrics: WorkerMetrics.Embedding
    var kind: JobKind { .embed(space: space) }

    init(space: Int32, embedder: any Embedder, chunker: DocumentChunker) {
        self.space = space
        self.embedder = embedder
        self.chunker = chunker
        self.metrics = WorkerMetrics.Embedding(space: space)
    }

    private struct Document {
        var body: String
        var hash: [UInt8]
        var isCurrent: Bool
        var language: String?
        var detectedLanguage: String?
    }

    /// A detected language that differs from the stored one (`documents.detected_language`).
    private struct Detection: Encodable {
        var id: Int64
        /// The content it was detected in (hex): a document changed meanwhile is left alone.
        var content_hash: String
        var language: String?
    }

    private struct Chunk {
        var job: ClaimedJob
        var documentID: Int64
        var hash: [UInt8]
        var ordinal: Int32
        var text: String
        var start: Int32
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> StageOutcome {
        let documents = try load(jobs.map(\.sourceID), on: conn)
        var failures: [(job: ClaimedJob, error: String)] = []
        var chunks: [Chunk] = []
        var detections: [Int64: Detection] = [:]
        for job in jobs {
            if let document = documents[job.sourceID] {
                // A given language wins: nothing to detect (and an earlier detection is void).
                let detected = document.language == nil ? LanguageDetector.detect(document.body)?.rawValue : nil
                if detected != document.detectedLanguage {
                    detections[job.sourceID] = Detection(id: job.sourceID, content_hash: document.hash.hexString, language: detected)
                }
            }
            // Nothing to embed for a document that is gone (erased: its chunks went with it) or
            // whose current content is embedded in this space already.
            guard let document = documents[job.sourceID], !document.isCurrent else { continue }
            let pieces = chunker.chunks(of: document.body)
            guard !pieces.isEmpty else {
                failures.append((job, "document \(job.sourceID) has no text to chunk"))
                continue
            }
            for (ordinal, piece) in pieces.enumerated() {
                chunks.append(Chunk(
                    job: job, documentID: job.sourceID, hash: document.hash, ordinal: Int32(ordinal),
                    text: piece.text, start: piece.start))
            }
        }
        guard failures.count < jobs.count else { return StageOutcome(failures: failures) }
        let started = ContinuousClock.now
        let embeddings = try embedder.embed(chunks.map(\.text))
        metrics.duration.record(duration: ContinuousClock.now - started)
        metrics.texts.increment(by: chunks.count)
        return StageOutcome(failures: failures, writes: .transaction { conn, done in
            let detected = detections.values.filter { done.sources.contains($0.id) }.sorted { $0.id < $1.id }
            if !detected.isEmpty {
                try conn.query("""
                    UPDATE coachspool.documents d SET detected_language = x.language
                      FROM jsonb_to_recordset(\(try JSONText(detected))::jsonb) AS x(id bigint, content_hash text, language text)
                     WHERE d.id = x.id AND d.content_hash = decode(x.content_hash, 'hex')
                       AND d.detected_language IS DISTINCT FROM x.language
                    """)
            }
            let written = chunks.indices.filter { done.jobs.contains(chunks[$0].job.id) }
            guard !written.isEmpty else { return }
            let documentIDs = Array(Set(written.map { chunks[$0].documentID }))
            try conn.query("DELETE FROM coachspool.chunks WHERE space_id = \(space) AND document_id = ANY(\(documentIDs)::bigint[])")
            var copy = PGCopyBinaryWriter(fieldsPerRow: 9)
            for index in written {
                let chunk = chunks[index]
                copy.startRow()
                copy.write(space)
                copy.write(chunk.documentID)
                copy.write(bytes: chunk.hash)
                copy.write(chunk.ordinal)
                copy.write(chunk.text)
                copy.write(chunk.start)
                copy.write(embeddings[index].tokens.map { Int32($0) })
                copy.writeVector(embeddings[index].vector)
                copy.write(owner)
            }
            try conn.copyIn(
                """
                COPY coachspool.chunks (space_id, document_id, content_hash, ordinal, body, start_offset, tokens, embedding, worker)
                FROM STDIN (FORMAT binary)
                """,
                payload: copy.finish())
        })
    }

    private func load(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: Document] {
        let rows = try conn.query("""
            SELECT d.id, d.body, encode(d.content_hash, 'hex') AS hash,
                   EXISTS (SELECT 1 FROM coachspool.chunks c
                            WHERE c.space_id = \(space) AND c.document_id = d.id AND c.content_hash = d.content_hash) AS is_current,
                   d.language, d.detected_language
              FROM coachspool.documents d
             WHERE d.id = ANY(\(ids)::bigint[])
            """)
        var documents: [Int64: Document] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, named: "id")
            guard let hash = [UInt8](hexadecimal: try row.decode(String.self, named: "hash")) else {
                throw CoachSpoolError(.input, "document \(id): content_hash is not hexadecimal")
            }
            documents[id] = Document(
                body: try row.decode(String.self, named: "body"), hash: hash, isCurrent: try row.decode(Bool.self, named: "is_current"),
                language: try row.decode(String?.self, named: "language"), detectedLanguage: try row.decode(String?.self, named: "detected_language"))
        }
        return documents
    }
}
