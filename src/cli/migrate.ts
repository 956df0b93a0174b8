// `claude-mem migrate --to postgres://…` copies the local SQLite store into PostgreSQL;
// `--from postgres://…` copies back. Idempotent: records are deduplicated by content (a second run
// copies nothing), so an interrupted copy is finished by running it again.
import { localIdentity } from '../config/identity.js';
import { dataDir, dbPath } from '../config/paths.js';
import { isPostgresUrl, redactUrl } from '../store/postgres/pgClient.js';
import { openPgStore } from '../store/postgres/PgStore.js';
import { openStore } from '../store/sqlite/SqliteStore.js';
import type { ImportSet, Store } from '../store/Store.js';
import type { PromptRow } from '../api/types.js';
import { progressBar } from './progress.js';

export interface CopyTally {
  imported: number;
  skipped: number;
}

export type CopyReport = Record<'observations' | 'summaries' | 'prompts', CopyTally>;

const BATCH = 500;

/** Prompt rows exported by one store, in the shape another store imports. */
function promptImport(p: PromptRow) {
  return {
    content_session_id: p.content_session_id,
    project: p.project,
    prompt_number: p.prompt_number,
    prompt_text: p.prompt_text,
    created_at: p.created_at,
  };
}

/** Copies every record of `from` into `to`, in id order, one transaction per batch. */
export async function copyStore(
  from: Store,
  to: Store,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<CopyReport> {
  const data = await from.sessions.exportAll();
  // Observations and summaries carry author and project_key: the copy keeps who recorded them.
  const sets: Array<[keyof CopyReport, NonNullable<ImportSet[keyof ImportSet]>]> = [
    ['prompts', data.prompts.map(promptImport)],
    ['observations', data.observations],
    ['summaries', data.summaries],
  ];
  const total = sets.reduce((n, [, rows]) => n + rows.length, 0);
  const report: CopyReport = {
    observations: { imported: 0, skipped: 0 },
    summaries: { imported: 0, skipped: 0 },
    prompts: { imported: 0, skipped: 0 },
  };
  let done = 0;
  onProgress(done, total);
  for (const [kind, rows] of sets) {
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const out = await to.sessions.importAll({ [kind]: chunk } as ImportSet);
      const inserted = out[kind].filter((r) => r.inserted).length;
      report[kind].imported += inserted;
      report[kind].skipped += out[kind].length - inserted;
      done += chunk.length;
      onProgress(done, total);
    }
  }
  return report;
}

export interface MigrateOptions {
  to?: string;
  from?: string;
  /** SQLite file; defaults to DATA_DIR/claude-mem.db. */
  sqliteFile?: string;
}

/** Validates the flags and runs the copy with a progress bar; returns the report. */
export async function runMigrate(opts: MigrateOptions): Promise<{ report: CopyReport; summary: string }> {
  if (!!opts.to === !!opts.from) {
    throw new Error('migrate: give exactly one of --to postgres://… (SQLite → PostgreSQL) or --from postgres://… (PostgreSQL → SQLite)');
  }
  const url = (opts.to ?? opts.from)!;
  const flag = opts.to ? '--to' : '--from';
  if (!isPostgresUrl(url)) throw new Error(`migrate: ${flag} must be a postgres:// or postgresql:// URL, got "${redactUrl(url)}"`);
  const identity = localIdentity(dataDir());
  const sqliteFile = opts.sqliteFile ?? dbPath();
  const sqlite = openStore(sqliteFile, { identity });
  try {
    const pg = await openPgStore(url, { identity });
    try {
      const [from, to] = opts.to ? [sqlite, pg] : [pg, sqlite];
      let bar: ReturnType<typeof progressBar> | undefined;
      let shown = 0;
      const report = await copyStore(from, to, (done, total) => {
        bar ??= progressBar(total, 'migrating');
        bar.tick(done - shown);
        shown = done;
      });
      bar?.done();
      const direction = opts.to ? `${sqliteFile} → ${redactUrl(url)}` : `${redactUrl(url)} → ${sqliteFile}`;
      const parts = (Object.keys(report) as Array<keyof CopyReport>).map(
        (k) => `${k}: ${report[k].imported} copied, ${report[k].skipped} already there`,
      );
      return { report, summary: `Migrated ${direction}\n  ${parts.join('\n  ')}` };
    } finally {
      await pg.close();
    }
  } finally {
    await sqlite.close();
  }
}
