// Worker logging: human-readable lines in DATA_DIR/logs/worker.log, errors also in
// worker-error.log. Every line is passed through redactSecrets first, so a credential that slips
// into a message or context never reaches disk. Sync appends: simple and crash-safe for a local
// worker's volume of logging. Each file is size-capped: past the cap it is renamed to `.1` (older
// ones shift to `.2`, `.3`, the oldest is dropped), so logs never grow without bound.
// Node builtins only.
import fs from 'node:fs';
import path from 'node:path';
import { workerErrorLogPath, workerLogPath } from './paths.js';
import { redactSecrets } from '../lib/redact.js';

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

/** Rotation: a file is rotated before it would exceed maxBytes; `keep` rotated files are kept. */
const DEFAULT_ROTATION = { maxBytes: 5 * 1024 * 1024, keep: 3 };
let rotation = { ...DEFAULT_ROTATION };
/** Bytes we believe each file holds; re-checked on disk before rotating (other processes append too). */
const knownSizes = new Map<string, number>();

/** Change the size cap / number of kept files (tests); no argument restores the defaults. */
export function setLogRotation(opts: { maxBytes: number; keep: number } = DEFAULT_ROTATION): void {
  if (!Number.isInteger(opts.maxBytes) || opts.maxBytes < 1) throw new Error('maxBytes: must be a positive integer');
  if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new Error('keep: must be an integer ≥ 0');
  rotation = { maxBytes: opts.maxBytes, keep: opts.keep };
  knownSizes.clear();
}

// Lines at or above this level are also written to stderr (a worker running in the foreground).
let echoLevel: LogLevel | null = null;

/** Echo lines of `level` and above to stderr (null: off). The log files are written as always. */
export function setStderrEcho(level: LogLevel | null): void {
  echoLevel = level;
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

function sizeOnDisk(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** worker.log → worker.log.1 → … → worker.log.<keep>; the oldest is overwritten. */
function rotate(file: string): void {
  if (rotation.keep === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  for (let i = rotation.keep - 1; i >= 1; i--) {
    try {
      fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      /* that generation does not exist yet */
    }
  }
  fs.renameSync(file, `${file}.1`);
}

function append(file: string, line: string): void {
  try {
    const bytes = Buffer.byteLength(line);
    let size = knownSizes.get(file) ?? sizeOnDisk(file);
    if (size + bytes > rotation.maxBytes) {
      size = sizeOnDisk(file); // another process may have rotated it already
      if (size > 0 && size + bytes > rotation.maxBytes) {
        rotate(file);
        size = 0;
      }
    }
    const firstWrite = !knownSizes.has(file);
    knownSizes.set(file, size + bytes);
    // `mode` applies only when the file is created; a log left wider by an older install is
    // narrowed on this process's first write to it.
    if (firstWrite && process.platform !== 'win32') {
      try {
        if (fs.statSync(file).mode & 0o077) fs.chmodSync(file, 0o600);
      } catch {
        /* not created yet */
      }
    }
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
  if (process.env.CLAUDE_MEM_LOG_STDERR === '1' || (echoLevel !== null && RANK[level] >= RANK[echoLevel])) {
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
