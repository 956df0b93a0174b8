// Small file helpers shared by settings, .env and the worker's pid/lock files.
// Node builtins only: the hook bundle imports this file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Write a file so readers see either the old or the new content, never a torn one: write a temp
 * file in the same directory (same filesystem, so rename is atomic), fsync it, then rename over the
 * target. `mode` is applied to the temp file before the rename, so the target never exists with a
 * wider mode. Without `mode`, an existing target keeps its mode.
 */
export function writeFileAtomic(filePath: string, data: string | Uint8Array, mode?: number): void {
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  let finalMode = mode;
  if (finalMode === undefined) {
    try {
      finalMode = fs.statSync(filePath).mode & 0o777;
    } catch {
      // New file: the process umask decides, as for any other file we create.
    }
  }
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', finalMode ?? 0o666);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    // openSync's mode is filtered by umask; chmod makes an explicit mode exact.
    if (finalMode !== undefined && process.platform !== 'win32') fs.chmodSync(tmp, finalMode);
    fs.renameSync(tmp, filePath);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing; report the original error */
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Persist the rename itself. Best effort: not every platform lets you open a directory. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here (e.g. Windows); the rename is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A JSON file that exists but does not parse. Carries where, so the user can fix it by hand. */
export class JsonFileError extends Error {
  constructor(
    readonly filePath: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${filePath}:${line}:${column}: invalid JSON (${detail}). Fix or delete the file.`);
    this.name = 'JsonFileError';
  }
}

/**
 * Read and parse a JSON file. Returns `undefined` when the file does not exist; throws
 * `JsonFileError` (with line/column) when it exists but is not valid JSON. Other I/O errors
 * (permissions, a directory in the way) are thrown as they are.
 */
export function readJsonFile(filePath: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseJsonText(text, filePath);
}

/** JSON.parse with an error that names the file, line and column. A leading BOM is accepted. */
export function parseJsonText(text: string, filePath: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const offset = jsonErrorOffset(body, detail);
    const { line, column } = lineColumnAt(body, offset);
    // V8 quotes the input in its message (all of it, or a `..."excerpt"...` around the error);
    // keep only the first clause so a secret in the file never reaches the screen or a log.
    const short = detail.split(/,\s*(?:\.\.\.)?"/)[0].replace(/\s+in JSON at position \d+.*$/, '');
    throw new JsonFileError(filePath, line, column, short);
  }
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}

/**
 * Offset of the first syntax error. Node 20's V8 only sometimes says "at position N", so when it
 * does not we find the spot with a small validating scan of our own.
 */
function jsonErrorOffset(text: string, message: string): number {
  const m = /at position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return scanJsonError(text) ?? text.length;
}

/** A minimal JSON validator; returns the offset of the first error, or null if the text is valid. */
export function scanJsonError(text: string): number | null {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  class Stop {
    constructor(readonly at: number) {}
  }
  const fail = (): never => {
    throw new Stop(i);
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 92) {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
    fail();
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '-' || m[0] === '') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') str();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) num();
    else fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (e) {
    if (e instanceof Stop) return e.at;
    throw e;
  }
}
