import Embeddings
import Foundation
import LibPQ
import Metrics
import Spool
import Stages

/// Chunks and embeds knowledge documents for one embedding space (`embed:N` jobs).
///
/// A document whose current content already has chunks in the space is skipped (nothing is
/// embedded twice); otherwise its chunks are cut, redacted (privacy by default: nothing is
/// embedded unredacted), embedded in one call for the whole batch, and written with binary COPY
/// in the transaction that retires the jobs, replacing the document's previous chunks.
struct DocumentHandler: JobHandler {
    let space: Int32
    let embedder: any Embedder
    let splitter: RecursiveCharacterSplitter
    let redactor: Redactor
    let metrics: WorkerMetrics.Embedding

    init(space: Int32, embedder: any Embedder, splitter: RecursiveCharacterSplitter, redactor: Redactor) {
        self.space = space
        self.embedder = embedder
        self.splitter = splitter
        self.redactor = redactor
        self.metrics = WorkerMetrics.Embedding(space: space)
    }

    private struct Document {
        var body: String
        var hash: [UInt8]
        var isCurrent: Bool
    }

    private struct Chunk {
        var job: ClaimedJob
        var documentID: Int64
        var hash: [UInt8]
        var ordinal: Int32
        var text: String
        var start: Int32
    }

    func process(_ jobs: [ClaimedJob], owner: String, on conn: PGConnection) throws -> BatchOutcome {
        let documents = try load(jobs.map(\.sourceID), on: conn)
        var outcome = BatchOutcome()
        var done: [ClaimedJob] = []
        var chunks: [Chunk] = []
        for job in jobs {
            // Nothing to do for a document that is gone (erased: its chunks went with it) or
            // whose current content is embedded in this space already.
            guard let document = documents[job.sourceID], !document.isCurrent else {
                done.append(job)
                continue
            }
            let pieces = cut(document.body)
            guard !pieces.isEmpty else {
                outcome.failures.append((job, "document \(job.sourceID) has no text to chunk"))
                continue
            }
            done.append(job)
            for (ordinal, piece) in pieces.enumerated() {
                chunks.append(Chunk(
                    job: job, documentID: job.sourceID, hash: document.hash, ordinal: Int32(ordinal),
                    text: piece.text, start: piece.start))
            }
        }
        guard !done.isEmpty else { return outcome }
        let started = ContinuousClock.now
        let embeddings = try embedder.embed(chunks.map(\.text))
        metrics.duration.record(duration: ContinuousClock.now - started)
        metrics.texts.increment(by: chunks.count)
        outcome.retired = try conn.transaction { conn in
            let retired = try conn.query(PGQuery(
                unsafeSQL: JobQueue.completionPrelude + " SELECT id FROM ours",
                binds: JobQueue.completionBinds(done, owner: owner)))
            let ours = Set(try retired.map { try $0.decode(Int64.self, at: 0) })
            let written = chunks.indices.filter { ours.contains(chunks[$0].job.id) }
            let documentIDs = Array(Set(written.map { chunks[$0].documentID }))
            guard !documentIDs.isEmpty else { return ours }
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
            return ours
        }
        return outcome
    }

    /// The chunks of a body, redacted, with their start in Unicode scalars of the original.
    private func cut(_ body: String) -> [(text: String, start: Int32)] {
        var pieces: [(text: String, start: Int32)] = []
        var offset = 0
        var position = body.unicodeScalars.startIndex
        for chunk in splitter.chunks(of: body) {
            offset += body.unicodeScalars.distance(from: position, to: chunk.startIndex)
            position = chunk.startIndex
            pieces.append((redactor.redact(String(chunk)).text, Int32(offset)))
        }
        return pieces
    }

    private func load(_ ids: [Int64], on conn: PGConnection) throws -> [Int64: Document] {
        let rows = try conn.query("""
            SELECT d.id, d.body, encode(d.content_hash, 'hex'),
                   EXISTS (SELECT 1 FROM coachspool.chunks c
                            WHERE c.space_id = \(space) AND c.document_id = d.id AND c.content_hash = d.content_hash)
              FROM coachspool.documents d
             WHERE d.id = ANY(\(ids)::bigint[])
            """)
        var documents: [Int64: Document] = [:]
        for row in rows {
            let id = try row.decode(Int64.self, at: 0)
            guard let hash = [UInt8](hexadecimal: try row.decode(String.self, at: 2)) else {
                throw SpoolError(.input, "document \(id): content_hash is not hexadecimal")
            }
            documents[id] = Document(body: try row.decode(String.self, at: 1), hash: hash, isCurrent: try row.decode(Bool.self, at: 3))
        }
        return documents
    }
}
