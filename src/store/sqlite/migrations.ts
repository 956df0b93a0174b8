// Numbered schema migrations. Each runs once, inside a transaction, and is recorded in
// schema_migrations; re-running the list on an up-to-date database does nothing.
// Never edit a shipped migration: add a new one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'core tables',
    sql: `
      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        content_session_id TEXT NOT NULL,
        platform TEXT NOT NULL DEFAULT 'claude-code',
        project TEXT NOT NULL,
        cwd TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active',
        prompt_counter INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        UNIQUE (content_session_id, platform)
      );
      CREATE INDEX sessions_project ON sessions (project, started_at);

      CREATE TABLE user_prompts (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        prompt_number INTEGER NOT NULL,
        prompt_text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_at_epoch INTEGER NOT NULL,
        UNIQUE (session_id, prompt_number)
      );

      CREATE TABLE observations (
        id INTEGER PRIMARY KEY,
        content_session_id TEXT NOT NULL,
        project TEXT NOT NULL,
        type TEXT NOT NULL,
        title TEXT NOT NULL,
        subtitle TEXT NOT NULL DEFAULT '',
        narrative TEXT NOT NULL DEFAULT '',
        facts TEXT NOT NULL DEFAULT '[]',
        concepts TEXT NOT NULL DEFAULT '[]',
        files_read TEXT NOT NULL DEFAULT '[]',
        files_modified TEXT NOT NULL DEFAULT '[]',
        prompt_number INTEGER,
        agent_id TEXT,
        model TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_at_epoch INTEGER NOT NULL,
        UNIQUE (content_session_id, content_hash)
      );
      CREATE INDEX observations_project_time ON observations (project, created_at_epoch);
      CREATE INDEX observations_time ON observations (created_at_epoch);

      CREATE TABLE summaries (
        id INTEGER PRIMARY KEY,
        content_session_id TEXT NOT NULL,
        project TEXT NOT NULL,
        request TEXT NOT NULL DEFAULT '',
        investigated TEXT NOT NULL DEFAULT '',
        learned TEXT NOT NULL DEFAULT '',
        completed TEXT NOT NULL DEFAULT '',
        next_steps TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        prompt_number INTEGER,
        model TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_at_epoch INTEGER NOT NULL,
        UNIQUE (content_session_id, content_hash)
      );
      CREATE INDEX summaries_project_time ON summaries (project, created_at_epoch);

      -- Full-text indexes, kept in sync by triggers (external content: no duplicated text).
      CREATE VIRTUAL TABLE observations_fts USING fts5 (
        title, subtitle, narrative, facts, concepts,
        content = 'observations', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts);
      END;
      CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts);
      END;
      CREATE TRIGGER observations_au AFTER UPDATE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts);
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts);
      END;

      CREATE VIRTUAL TABLE summaries_fts USING fts5 (
        request, investigated, learned, completed, next_steps, notes,
        content = 'summaries', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER summaries_ai AFTER INSERT ON summaries BEGIN
        INSERT INTO summaries_fts (rowid, request, investigated, learned, completed, next_steps, notes)
        VALUES (new.id, new.request, new.investigated, new.learned, new.completed, new.next_steps, new.notes);
      END;
      CREATE TRIGGER summaries_ad AFTER DELETE ON summaries BEGIN
        INSERT INTO summaries_fts (summaries_fts, rowid, request, investigated, learned, completed, next_steps, notes)
        VALUES ('delete', old.id, old.request, old.investigated, old.learned, old.completed, old.next_steps, old.notes);
      END;

      CREATE VIRTUAL TABLE prompts_fts USING fts5 (
        prompt_text,
        content = 'user_prompts', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER prompts_ai AFTER INSERT ON user_prompts BEGIN
        INSERT INTO prompts_fts (rowid, prompt_text) VALUES (new.id, new.prompt_text);
      END;
      CREATE TRIGGER prompts_ad AFTER DELETE ON user_prompts BEGIN
        INSERT INTO prompts_fts (prompts_fts, rowid, prompt_text) VALUES ('delete', old.id, old.prompt_text);
      END;

      -- Durable queue: a row exists from the moment a hook event is acknowledged until the
      -- memory agent has stored its results (same transaction as the delete).
      CREATE TABLE pending_events (
        id INTEGER PRIMARY KEY,
        content_session_id TEXT NOT NULL,
        project TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        tool_use_id TEXT UNIQUE,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX pending_events_session ON pending_events (content_session_id, id);

      -- Every tool_use_id ever accepted, so a re-posted event is not processed twice even
      -- after its queue row is gone.
      CREATE TABLE seen_tool_uses (
        tool_use_id TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE dead_events (
        id INTEGER PRIMARY KEY,
        content_session_id TEXT NOT NULL,
        project TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        tool_use_id TEXT,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        dead_at TEXT NOT NULL
      );

      CREATE TABLE token_usage (
        day TEXT PRIMARY KEY,
        requests INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 2,
    name: 'embedding model record',
    // The vectors themselves live in a sqlite-vec table created at run time (VectorIndex), because
    // its dimension comes from the model and the extension is loaded only when embeddings are on.
    sql: `
      CREATE TABLE embedding_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        model TEXT NOT NULL,
        dimension INTEGER NOT NULL CHECK (dimension > 0),
        created_at TEXT NOT NULL
      );
      -- Which observations have a vector: a plain table answers "what is missing" with index
      -- lookups, where probing the vec0 table row by row is a scan of its chunks.
      CREATE TABLE embedded_observations (
        observation_id INTEGER PRIMARY KEY
      );
    `,
  },
  {
    version: 3,
    name: 'sharing identity',
    // Who recorded a row and the repository it belongs to (git remote key), so that a copy into a
    // shared PostgreSQL store (claude-mem migrate) keeps them. Filled from the session on insert.
    sql: `
      ALTER TABLE sessions ADD COLUMN author TEXT;
      ALTER TABLE sessions ADD COLUMN project_key TEXT;
      ALTER TABLE observations ADD COLUMN author TEXT;
      ALTER TABLE observations ADD COLUMN project_key TEXT;
      ALTER TABLE summaries ADD COLUMN author TEXT;
      ALTER TABLE summaries ADD COLUMN project_key TEXT;
    `,
  },
  {
    version: 4,
    name: 'identifier parts in the observation index',
    // search_terms holds the parts of camelCase identifiers (written by the store on insert), so
    // "queue" finds "EventQueue". The index gains that column; NULL rows are backfilled at open.
    sql: `
      ALTER TABLE observations ADD COLUMN search_terms TEXT;
      DROP TRIGGER observations_ai;
      DROP TRIGGER observations_ad;
      DROP TRIGGER observations_au;
      DROP TABLE observations_fts;
      CREATE VIRTUAL TABLE observations_fts USING fts5 (
        title, subtitle, narrative, facts, concepts, search_terms,
        content = 'observations', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts, search_terms)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts, new.search_terms);
      END;
      CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts, search_terms)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts, old.search_terms);
      END;
      CREATE TRIGGER observations_au AFTER UPDATE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts, search_terms)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts, old.search_terms);
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts, search_terms)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts, new.search_terms);
      END;
      INSERT INTO observations_fts (observations_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 5,
    name: 'queue ids never reused',
    // A dead-lettered event keeps its id (and takes it back when retried), so queue ids must never
    // be handed out twice: AUTOINCREMENT, seeded above every id either table has used.
    sql: `
      CREATE TABLE pending_events_v5 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_session_id TEXT NOT NULL,
        project TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        tool_use_id TEXT UNIQUE,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
      INSERT INTO pending_events_v5 (id, content_session_id, project, kind, payload, tool_use_id, attempts,
        next_attempt_at, claimed_by, claimed_at, last_error, created_at)
      SELECT id, content_session_id, project, kind, payload, tool_use_id, attempts,
        next_attempt_at, claimed_by, claimed_at, last_error, created_at FROM pending_events;
      DROP TABLE pending_events;
      ALTER TABLE pending_events_v5 RENAME TO pending_events;
      CREATE INDEX pending_events_session ON pending_events (content_session_id, id);
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'pending_events', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'pending_events');
      UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(id) FROM dead_events), 0))
        WHERE name = 'pending_events';
    `,
  },
  {
    version: 6,
    name: 'observations in session order',
    // Keyword search ranks a hit's session neighbours with it (rankFusion.contextRerank): the
    // records just before and after one, in its session, by (created_at_epoch, id).
    sql: `
      CREATE INDEX observations_session_time ON observations (content_session_id, created_at_epoch);
    `,
  },
  {
    version: 7,
    name: 'usage ledger',
    // What the memory agent spent, by day, project, session and model: `claude-mem stats`, the
    // viewer's chart and the per-session cap read it (token_usage keeps the daily total).
    sql: `
      CREATE TABLE usage_ledger (
        day TEXT NOT NULL,
        project TEXT NOT NULL,
        content_session_id TEXT NOT NULL,
        model TEXT NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, project, content_session_id, model)
      );
      CREATE INDEX usage_ledger_session ON usage_ledger (content_session_id);
    `,
  },
  {
    version: 8,
    name: 'file paths in the observation index',
    // files_read and files_modified are indexed too, so that "app.ts", "src/app.ts" or "worker-main"
    // find the observations that read or changed that file. The tokenizer splits a path (and the
    // JSON around it) into its parts; a query names a path as the phrase of those parts.
    sql: `
      DROP TRIGGER observations_ai;
      DROP TRIGGER observations_ad;
      DROP TRIGGER observations_au;
      DROP TABLE observations_fts;
      CREATE VIRTUAL TABLE observations_fts USING fts5 (
        title, subtitle, narrative, facts, concepts, search_terms, files_read, files_modified,
        content = 'observations', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts, search_terms, files_read, files_modified)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts, new.search_terms, new.files_read, new.files_modified);
      END;
      CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts, search_terms, files_read, files_modified)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts, old.search_terms, old.files_read, old.files_modified);
      END;
      CREATE TRIGGER observations_au AFTER UPDATE ON observations BEGIN
        INSERT INTO observations_fts (observations_fts, rowid, title, subtitle, narrative, facts, concepts, search_terms, files_read, files_modified)
        VALUES ('delete', old.id, old.title, old.subtitle, old.narrative, old.facts, old.concepts, old.search_terms, old.files_read, old.files_modified);
        INSERT INTO observations_fts (rowid, title, subtitle, narrative, facts, concepts, search_terms, files_read, files_modified)
        VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts, new.search_terms, new.files_read, new.files_modified);
      END;
      INSERT INTO observations_fts (observations_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 9,
    name: 'memory you can trust',
    // source_ids: the tool_use_ids that produced an observation (what a tombstone is keyed by);
    // file_hashes: {root, files: {path: sha256}} of project files at observation time (staleness);
    // superseded_by / edited_at: corrections. tombstones: identities of forgotten records (a
    // tool_use_id or a content hash, never text) that import, retries and replays must not bring back.
    sql: `
      ALTER TABLE observations ADD COLUMN source_ids TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE observations ADD COLUMN file_hashes TEXT;
      ALTER TABLE observations ADD COLUMN superseded_by INTEGER;
      ALTER TABLE observations ADD COLUMN edited_at TEXT;
      CREATE INDEX observations_superseded ON observations (superseded_by) WHERE superseded_by IS NOT NULL;
      CREATE TABLE tombstones (
        key TEXT PRIMARY KEY,
        forgotten_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 10,
    name: 'keyword search filters without row lookups',
    // Keyword search checks the project/type/date filters of every match; a lookup in the
    // observations table reads the row's whole page (its text). This narrow index answers those
    // filters from a few dense pages instead: 3.3× faster ranking within one project at 100k rows.
    sql: `CREATE INDEX observations_search_filter ON observations (id, project, type, created_at_epoch);`,
  },
  {
    version: 11,
    name: 'identifier parts of file names',
    // search_terms now holds the camelCase parts of file names too (EventQueue.ts → event queue);
    // rows whose paths have a capital letter get theirs again from the backfill at open.
    sql: `UPDATE observations SET search_terms = NULL WHERE files_read GLOB '*[A-Z]*' OR files_modified GLOB '*[A-Z]*';`,
  },
];
