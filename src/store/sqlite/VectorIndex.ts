// Observation vectors in a sqlite-vec `vec0` table (in-process, no sidecar), one row per
// observation (rowid = observation id), plus the record of which model made them. Vectors of two
// models never share the table: a different model or dimension is refused until a reset.
import * as sqliteVec from 'sqlite-vec';
import type { Db } from './Database.js';

export interface EmbeddingMeta {
  model: string;
  dimension: number;
}

/** The configured model is not the one the stored vectors were made with. */
export class VectorMismatchError extends Error {
  constructor(
    readonly recorded: EmbeddingMeta,
    readonly configured: { model: string; dimension: number | null },
  ) {
    const what =
      recorded.model !== configured.model
        ? `model "${recorded.model}" (${recorded.dimension} dimensions), but CLAUDE_MEM_EMBEDDINGS_MODEL is "${configured.model}"`
        : `${recorded.dimension}-dimensional vectors, but model "${configured.model}" now returns ${configured.dimension}`;
    super(
      `The vector index was built with ${what}. Vectors of different models cannot be mixed: run ` +
        '`claude-mem reindex --reset` to rebuild it for the new model, or set the old model back. Keyword search keeps working meanwhile.',
    );
    this.name = 'VectorMismatchError';
  }
}

const TABLE = 'observation_vectors';
/** sqlite-vec's upper bound on k in one KNN query. */
const MAX_K = 4096;
const loaded = new WeakSet<Db>();

/** Loads the sqlite-vec extension into this connection (once). */
export function loadSqliteVec(db: Db): void {
  if (loaded.has(db)) return;
  try {
    sqliteVec.load(db);
  } catch (err) {
    throw new Error(
      `Could not load the sqlite-vec extension (${(err as Error).message}). Vector search needs the sqlite-vec package for ` +
        `${process.platform}-${process.arch}; set CLAUDE_MEM_EMBEDDINGS=none to use keyword search only.`,
    );
  }
  loaded.add(db);
}

/** Observation count; needs no extension (for status when vectors are off). */
export function countObservations(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM observations').pluck().get() as number;
}

/**
 * Removes the vectors of these observations (forget, or an edit that needs a new vector). Works
 * whether or not embeddings are on now: the vec0 table is only touched when it exists, loading
 * the extension for it. Returns how many observations had a vector.
 */
export function deleteVectors(db: Db, ids: number[]): number {
  if (ids.length === 0) return 0;
  const had = db.prepare('DELETE FROM embedded_observations WHERE observation_id = ?');
  let n = 0;
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(TABLE) !== undefined;
  if (exists) loadSqliteVec(db);
  const del = exists ? db.prepare(`DELETE FROM ${TABLE} WHERE rowid = ?`) : null;
  db.transaction(() => {
    for (const id of ids) {
      n += had.run(id).changes;
      del?.run(BigInt(id));
    }
  })();
  return n;
}

const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export class VectorIndex {
  constructor(private readonly db: Db) {
    loadSqliteVec(db);
  }

  meta(): EmbeddingMeta | null {
    const row = this.db.prepare('SELECT model, dimension FROM embedding_meta WHERE id = 1').get() as EmbeddingMeta | undefined;
    return row ? { model: row.model, dimension: Number(row.dimension) } : null;
  }

  private tableExists(): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(TABLE) !== undefined;
  }

  /** True when vectors can be written and queried (a model is recorded). */
  get ready(): boolean {
    return this.meta() !== null && this.tableExists();
  }

  /**
   * Throws VectorMismatchError when stored vectors come from another model, or another dimension
   * (a null dimension means "not known yet" and only the model is compared).
   */
  check(model: string, dimension: number | null): void {
    const m = this.meta();
    if (!m) return;
    if (m.model !== model || (dimension !== null && m.dimension !== dimension)) {
      throw new VectorMismatchError(m, { model, dimension });
    }
  }

  /** Records the model and creates the vector table for its dimension; checks it when one is recorded. */
  ensure(model: string, dimension: number): void {
    if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`dimension must be a positive integer, got ${dimension}`);
    this.db.transaction(() => {
      this.check(model, dimension);
      if (!this.meta()) {
        this.db
          .prepare('INSERT INTO embedding_meta (id, model, dimension, created_at) VALUES (1, ?, ?, ?)')
          .run(model, dimension, new Date().toISOString());
      }
      this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING vec0(embedding float[${dimension}] distance_metric=cosine)`);
    })();
  }

  /** Forgets every vector and the recorded model (before rebuilding for another model). */
  reset(): void {
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS ${TABLE}`);
      this.db.exec('DELETE FROM embedded_observations');
      this.db.exec('DELETE FROM embedding_meta');
    })();
  }

  private requireReady(): EmbeddingMeta {
    const m = this.meta();
    if (!m || !this.tableExists()) throw new Error('no embedding model recorded yet: call ensure(model, dimension) first');
    return m;
  }

  upsert(id: number, vector: Float32Array): void {
    this.upsertMany([{ id, vector }]);
  }

  /** Writes (or replaces) vectors; all in one transaction. */
  upsertMany(items: Array<{ id: number; vector: Float32Array }>): void {
    if (items.length === 0) return;
    const { model, dimension } = this.requireReady();
    for (const it of items) {
      if (it.vector.length !== dimension) throw new VectorMismatchError({ model, dimension }, { model, dimension: it.vector.length });
    }
    // vec0 has no upsert, and its rowids must be bound as BigInt (a JS number binds as a float).
    const del = this.db.prepare(`DELETE FROM ${TABLE} WHERE rowid = ?`);
    const ins = this.db.prepare(`INSERT INTO ${TABLE} (rowid, embedding) VALUES (?, ?)`);
    const mark = this.db.prepare('INSERT OR IGNORE INTO embedded_observations (observation_id) VALUES (?)');
    const exists = this.db.prepare('SELECT 1 FROM observations WHERE id = ?');
    this.db.transaction(() => {
      for (const it of items) {
        // Forgotten while it was being embedded: its vector must not outlive it.
        if (exists.get(it.id) === undefined) continue;
        const rowid = BigInt(it.id);
        del.run(rowid);
        ins.run(rowid, blob(it.vector));
        mark.run(it.id);
      }
    })();
  }

  /** Observation ids nearest to the vector (closest first), optionally within some projects. */
  knn(vector: Float32Array, k: number, projects?: string[]): number[] {
    if (!this.ready) return [];
    const limit = Math.max(1, Math.min(Math.floor(k), MAX_K));
    const params: unknown[] = [blob(vector), limit];
    let filter = '';
    if (projects?.length) {
      // Filtering inside the KNN query keeps k results per project instead of k before filtering.
      filter = ` AND rowid IN (SELECT id FROM observations WHERE project IN (${projects.map(() => '?').join(',')}))`;
      params.push(...projects);
    }
    const rows = this.db
      .prepare(`SELECT rowid FROM ${TABLE} WHERE embedding MATCH ? AND k = ?${filter} ORDER BY distance`)
      .all(...params) as Array<{ rowid: number | bigint }>;
    return rows.map((r) => Number(r.rowid));
  }

  /** Observations that have no vector yet, oldest first. */
  missing(limit: number): number[] {
    return this.db
      .prepare(
        `SELECT o.id FROM observations o
         WHERE NOT EXISTS (SELECT 1 FROM embedded_observations e WHERE e.observation_id = o.id) ORDER BY o.id LIMIT ?`,
      )
      .pluck()
      .all(Math.max(1, Math.floor(limit))) as number[];
  }

  /** How many observations have a vector, out of how many. */
  counts(): { indexed: number; total: number } {
    const total = countObservations(this.db);
    const indexed = this.db
      .prepare('SELECT COUNT(*) FROM embedded_observations e JOIN observations o ON o.id = e.observation_id')
      .pluck()
      .get() as number;
    return { indexed, total };
  }
}
