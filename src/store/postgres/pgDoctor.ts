// `claude-mem doctor` checks for team mode: the server answers, the schema, pgvector, and what is
// shared. Read-only: it neither migrates nor creates extensions.
import { createPool, redactUrl } from './pgClient.js';

export interface DoctorLine {
  good: boolean | 'warn';
  text: string;
}

export async function checkPostgres(url: string, sharedGlobs: string): Promise<DoctorLine[]> {
  const where = redactUrl(url);
  let pool;
  try {
    pool = createPool(url, 1);
  } catch (err) {
    return [{ good: false, text: (err as Error).message }];
  }
  try {
    const version = (await pool.query(`SELECT current_setting('server_version') AS v`)).rows[0].v as string;
    const lines: DoctorLine[] = [{ good: true, text: `shared store PostgreSQL ${version} at ${where}` }];
    const hasSchema = (await pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`)).rows[0].ok as boolean;
    if (hasSchema) {
      const v = (await pool.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v;
      lines.push({ good: true, text: `    schema version ${v}` });
    } else {
      lines.push({ good: 'warn', text: '    no claude-mem schema yet (the worker creates it on start)' });
    }
    const ext = await pool.query(`SELECT installed_version FROM pg_available_extensions WHERE name = 'vector'`);
    if (ext.rowCount === 0) lines.push({ good: 'warn', text: '    pgvector not installed on the server: shared projects use keyword search only' });
    else if (!ext.rows[0].installed_version) lines.push({ good: 'warn', text: '    pgvector available but not enabled in this database (CREATE EXTENSION vector): keyword search only' });
    else lines.push({ good: true, text: `    pgvector ${ext.rows[0].installed_version} enabled` });
    lines.push({
      good: true,
      text: `    shared projects: ${sharedGlobs.trim() ? sharedGlobs : 'all (CLAUDE_MEM_SHARED_PROJECTS is empty)'}; the rest stay in local SQLite`,
    });
    return lines;
  } catch (err) {
    const e = err as Error & { code?: string };
    return [{ good: false, text: `shared store ${where} unreachable: ${e.message} — check CLAUDE_MEM_DATABASE_URL and that the server is running` }];
  } finally {
    await pool.end().catch(() => {});
  }
}
