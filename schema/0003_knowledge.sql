-- The RAG knowledge base: documents, embedding spaces, chunks with their vectors (pgvector).
--
-- A space is (embedder, model, dimensions, chunker). Workers register the space they are
-- configured for; each space gets its own partial HNSW index, so that spaces of different
-- dimensions live in one table and a new space is backfilled beside the active one while search
-- keeps using the active one. Chunks are keyed by (space, document, ordinal): nothing is stored
-- twice for one space, and a document is embedded again only when its content hash changed.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE coachspool.documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the producer's id (JSON Lines "id", or the file's path relative to the ingested folder)
    external_id   text NOT NULL UNIQUE,
    title         text NOT NULL,
    body          text NOT NULL CHECK (body ~ '[^[:space:]]'),
    source        text,
    language      text,
    -- sha256 of title, U+001F, body: what the chunks were made from
    content_hash  bytea NOT NULL,
    revision      integer NOT NULL DEFAULT 1,
    origin        text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coachspool.embedding_spaces (
    id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    embedder       text NOT NULL,
    model          text NOT NULL,
    dimensions     integer NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
    chunk_unit     text NOT NULL CHECK (chunk_unit IN ('chars', 'tokens')),
    chunk_size     integer NOT NULL CHECK (chunk_size > 0),
    chunk_overlap  integer NOT NULL CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_size),
    is_active      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    activated_at   timestamptz,
    UNIQUE (embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap)
);
CREATE UNIQUE INDEX embedding_spaces_one_active ON coachspool.embedding_spaces ((true)) WHERE is_active;

CREATE TABLE coachspool.chunks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    space_id      integer NOT NULL REFERENCES coachspool.embedding_spaces,
    document_id   bigint NOT NULL REFERENCES coachspool.documents ON DELETE CASCADE,
    -- the document version these chunks were cut from
    content_hash  bytea NOT NULL,
    ordinal       integer NOT NULL,
    body          text NOT NULL,
    -- where the chunk starts in the document body, in Unicode scalars (Python string index)
    start_offset  integer NOT NULL,
    tokens        integer,
    -- dimensions vary by space; each space's HNSW index casts to its own vector(N)
    embedding     vector NOT NULL,
    worker        text NOT NULL,
    embedded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (space_id, document_id, ordinal)
);

-- Registers the space a worker is configured for and returns its id: creates its HNSW index,
-- makes it the active space when there is none yet, and queues every document that lacks
-- current chunks in it (the backfill). Safe to call from many workers at once.
CREATE FUNCTION coachspool.register_space(
    p_embedder text, p_model text, p_dimensions integer, p_chunk_unit text, p_chunk_size integer, p_chunk_overlap integer
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('coachspool.register_space'));
    SELECT id INTO v_id FROM coachspool.embedding_spaces
     WHERE embedder = p_embedder AND model = p_model AND dimensions = p_dimensions
       AND chunk_unit = p_chunk_unit AND chunk_size = p_chunk_size AND chunk_overlap = p_chunk_overlap;
    IF v_id IS NULL THEN
        INSERT INTO coachspool.embedding_spaces (embedder, model, dimensions, chunk_unit, chunk_size, chunk_overlap, is_active, activated_at)
        SELECT p_embedder, p_model, p_dimensions, p_chunk_unit, p_chunk_size, p_chunk_overlap, x.first, CASE WHEN x.first THEN now() END
          FROM (SELECT NOT EXISTS (SELECT 1 FROM coachspool.embedding_spaces WHERE is_active) AS first) x
        RETURNING id INTO v_id;
        EXECUTE format(
            'CREATE INDEX %I ON coachspool.chunks USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE space_id = %s',
            'chunks_hnsw_space_' || v_id, p_dimensions, v_id);
    END IF;
    INSERT INTO coachspool.jobs (kind, source_id)
    SELECT 'embed:' || v_id, d.id FROM coachspool.documents d
     WHERE NOT EXISTS (SELECT 1 FROM coachspool.chunks c
                        WHERE c.space_id = v_id AND c.document_id = d.id AND c.content_hash = d.content_hash)
    ON CONFLICT (kind, source_id) DO NOTHING;
    PERFORM coachspool.wake_workers();
    RETURN v_id;
END
$$;

-- Adds or replaces a knowledge document; returns (id, changed). The same id with the same
-- title and text changes nothing; a changed one gets a new revision and is queued for every
-- space (its chunks are replaced when the workers get to it; until then search uses the old).
CREATE FUNCTION coachspool.upsert_document(
    p_external_id text, p_title text, p_body text, p_source text DEFAULT NULL, p_language text DEFAULT NULL,
    p_origin text DEFAULT 'sql', OUT id bigint, OUT changed boolean
) LANGUAGE plpgsql AS $$
DECLARE
    v_hash bytea := sha256(convert_to(p_title || chr(31) || p_body, 'UTF8'));
    v_id bigint;
BEGIN
    INSERT INTO coachspool.documents AS d (external_id, title, body, source, language, content_hash, origin)
    VALUES (p_external_id, p_title, p_body, p_source, p_language, v_hash, p_origin)
    ON CONFLICT (external_id) DO UPDATE
       SET title = excluded.title, body = excluded.body, source = excluded.source, language = excluded.language,
           content_hash = excluded.content_hash, origin = excluded.origin, revision = d.revision + 1, updated_at = now()
     WHERE d.content_hash <> excluded.content_hash
        OR d.source IS DISTINCT FROM excluded.source OR d.language IS DISTINCT FROM excluded.language
    RETURNING d.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT d.id INTO v_id FROM coachspool.documents d WHERE d.external_id = p_external_id;
        id := v_id;
        changed := false;
        RETURN;
    END IF;
    PERFORM coachspool.enqueue('embed:' || s.id, v_id) FROM coachspool.embedding_spaces s;
    PERFORM coachspool.wake_workers();
    id := v_id;
    changed := true;
END
$$;

-- Top-k chunks by cosine similarity in a space (the active one by default), through that
-- space's HNSW index. score = 1 - cosine distance. For the coach app and admins:
--   SELECT * FROM coachspool.search('[0.01, …]'::vector, 3);
CREATE FUNCTION coachspool.search(p_query vector, p_k integer DEFAULT 3, p_space integer DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, source text, body text, score double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_space integer;
    v_dimensions integer;
BEGIN
    SELECT s.id, s.dimensions INTO v_space, v_dimensions FROM coachspool.embedding_spaces s
     WHERE (p_space IS NULL AND s.is_active) OR s.id = p_space;
    IF v_space IS NULL THEN
        RAISE EXCEPTION '%', CASE WHEN p_space IS NULL THEN 'no active embedding space: run a worker (coachspool work) first'
                                  ELSE format('embedding space %s does not exist', p_space) END
              USING ERRCODE = 'no_data_found';
    END IF;
    IF vector_dims(p_query) <> v_dimensions THEN
        RAISE EXCEPTION 'the query vector has % dimensions; space % has %', vector_dims(p_query), v_space, v_dimensions
              USING ERRCODE = 'data_exception';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT c.id, c.document_id, d.title, d.source, c.body, 1 - c.distance
          FROM (SELECT id, document_id, body, embedding::vector(%1$s) <=> $1 AS distance
                  FROM coachspool.chunks
                 WHERE space_id = %2$s
                 ORDER BY embedding::vector(%1$s) <=> $1
                 LIMIT $2) c
          JOIN coachspool.documents d ON d.id = c.document_id
         ORDER BY c.distance$q$, v_dimensions, v_space)
    USING p_query, p_k;
END
$$;

-- Each space and how far its backfill is: documents with current chunks out of all documents.
-- A space can be activated (`coachspool spaces activate N`) when it is complete.
CREATE VIEW coachspool.embedding_space_status AS
SELECT s.id, s.embedder, s.model, s.dimensions, s.chunk_unit, s.chunk_size, s.chunk_overlap, s.is_active,
       (SELECT count(*) FROM coachspool.documents) AS documents,
       (SELECT count(*) FROM coachspool.documents d
         WHERE EXISTS (SELECT 1 FROM coachspool.chunks c
                        WHERE c.space_id = s.id AND c.document_id = d.id AND c.content_hash = d.content_hash)) AS documents_current,
       (SELECT count(*) FROM coachspool.chunks c WHERE c.space_id = s.id) AS chunks,
       s.created_at, s.activated_at
FROM coachspool.embedding_spaces s;
