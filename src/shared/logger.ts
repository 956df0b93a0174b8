// Worker logging: human-readable lines in DATA_DIR/logs/worker.log, errors also in
// worker-error.log. Every line is passed through redactSecrets first, so a credential that slips
// into a message or context never reaches disk. Sync appends: simple and crash-safe for a local
// worker's volume of logging. Node builtins only.
import fs from 'node:fs';
import path from 'node:path';
import { workerErrorLogPath, workerLogPath } from './paths.js';
import { redactSecrets } from './privacy.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
type WritableLevel = Exclude<LogLevel, 'SILENT'>;

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 };

function parseLevel(value: string | undefined): LogLevel | undefined {
  const v = value?.trim().toUpperCase();
  return v && v in RANK ? (v as LogLevel) : undefined;
}

// Until the worker passes the setting in, honour an exported CLAUDE_MEM_LOG_LEVEL.
let currentLevel: LogLevel = parseLevel(process.env.CLAUDE_MEM_LOG_LEVEL) ?? 'INFO';

/** Set the level (from the `CLAUDE_MEM_LOG_LEVEL` setting). Unknown values are ignored. */
export function setLogLevel(level: string): void {
  const parsed = parseLevel(level);
  if (parsed) currentLevel = parsed;
}

export function getLogLevel(): LogLevel {
  return currentLevel;
}

export type LogContext = Record<string, unknown>;

export interface Logger {
  debug(message: string, ctx?: LogContext): void;
  info(message: string, ctx?: LogContext): void;
  warn(message: string, ctx?: LogContext): void;
  error(message: string, ctx?: LogContext): void;
}

/** `key=value` pairs; values with spaces, quotes or newlines are JSON-quoted to keep one line each. */
function formatContext(ctx: LogContext | undefined): string {
  if (!ctx) return '';
  const parts: string[] = [];
  for (const [key, raw] of Object.entries(ctx)) {
    if (raw === undefined) continue;
    let value: string;
    if (raw instanceof Error) value = raw.message;
    else if (typeof raw === 'string') value = raw;
    else if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint' || raw === null) value = String(raw);
    else {
      try {
        value = JSON.stringify(raw) ?? String(raw);
      } catch {
        value = String(raw);
      }
    }
    parts.push(`${key}=${value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value}`);
  }
  return parts.length ? ' ' + parts.join(' ') : '';
}

function append(file: string, line: string): void {
  try {
    try {
      fs.appendFileSync(file, line, { mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // First line in a fresh data dir: create logs/ and retry once.
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.appendFileSync(file, line, { mode: 0o600 });
    }
  } catch {
    // Logging must never take the worker down (disk full, read-only, directory removed under us).
  }
}

function write(level: WritableLevel, component: string, message: string, ctx?: LogContext): void {
  if (RANK[level] < RANK[currentLevel]) return;
  const line = redactSecrets(`${new Date().toISOString()} ${level} [${component}] ${message}${formatContext(ctx)}`) + '\n';
  append(workerLogPath(), line);
  if (level === 'ERROR') append(workerErrorLogPath(), line);
  if (process.env.CLAUDE_MEM_LOG_STDERR === '1') {
    try {
      process.stderr.write(line);
    } catch {
      /* stderr closed */
    }
  }
}

/** A logger whose lines are tagged `[component]`. */
export function createLogger(component: string): Logger {
  return {
    debug: (message, ctx) => write('DEBUG', component, message, ctx),
    info: (message, ctx) => write('INFO', component, message, ctx),
    warn: (message, ctx) => write('WARN', component, message, ctx),
    error: (message, ctx) => write('ERROR', component, message, ctx),
  };
}

/**
 * The last `lines` lines of a file, read backwards in chunks so a large log is not loaded whole.
 * A missing file gives []. A trailing newline does not count as an empty last line.
 */
export function tailLog(filePath: string, lines: number): string[] {
  if (!Number.isFinite(lines) || lines <= 0) return [];
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const CHUNK = 64 * 1024;
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // Need lines+1 newlines (one may be the trailing newline) or the start of the file.
    while (pos > 0 && newlines <= lines) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, pos);
      for (let i = 0; i < len; i++) if (buf[i] === 10) newlines++;
      chunks.unshift(buf);
    }
    // Decoding after joining keeps multi-byte characters that straddle chunks intact.
    let text = Buffer.concat(chunks).toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text === '') return [];
    const all = text.split(/\r?\n/);
    // When we stopped before the start of the file, the first piece may be a partial line.
    if (pos > 0) all.shift();
    return all.slice(-lines);
  } finally {
    fs.closeSync(fd);
  }
}
