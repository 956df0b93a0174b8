// Every file location claude-mem uses (SPEC §2). Values are computed at call time, not at import
// time, so tests (and the CLI's --data-dir style overrides) can change the environment at will.
// Node builtins only: the hook bundle imports this file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Expand a leading `~` (alone or followed by a separator) to the user's home directory. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** DATA_DIR: `CLAUDE_MEM_DATA_DIR` (with `~` expanded) or `~/.claude-mem`. */
export function dataDir(): string {
  const fromEnv = process.env.CLAUDE_MEM_DATA_DIR?.trim();
  return path.resolve(fromEnv ? expandHome(fromEnv) : path.join(os.homedir(), '.claude-mem'));
}

export const settingsPath = (): string => path.join(dataDir(), 'settings.json');
export const envFilePath = (): string => path.join(dataDir(), '.env');
export const dbPath = (): string => path.join(dataDir(), 'claude-mem.db');
export const logsDir = (): string => path.join(dataDir(), 'logs');
export const workerLogPath = (): string => path.join(logsDir(), 'worker.log');
export const workerErrorLogPath = (): string => path.join(logsDir(), 'worker-error.log');
export const pidFilePath = (): string => path.join(dataDir(), 'worker.pid');
export const lockFilePath = (): string => path.join(dataDir(), 'worker.lock');
/** Small JSON file where hooks remember they already told the user the worker is offline. */
export const hookStatePath = (): string => path.join(dataDir(), 'hook-state.json');

/** Claude Code's own config dir: `CLAUDE_CONFIG_DIR` or `~/.claude`. */
export function claudeConfigDir(): string {
  const fromEnv = process.env.CLAUDE_CONFIG_DIR?.trim();
  return path.resolve(fromEnv ? expandHome(fromEnv) : path.join(os.homedir(), '.claude'));
}

export const claudeSettingsPath = (): string => path.join(claudeConfigDir(), 'settings.json');

/** Permission bits wider than owner-only (group/other) — what we repair to 0700/0600. */
const GROUP_OTHER_BITS = 0o077;

/**
 * Create DATA_DIR (mode 0700) and DATA_DIR/logs. An existing DATA_DIR that is readable by group or
 * others is narrowed to 0700: it holds credentials. Returns DATA_DIR.
 */
export function ensureDataDir(): string {
  const dir = dataDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const mode = fs.statSync(dir).mode & 0o777;
    if (mode & GROUP_OTHER_BITS) fs.chmodSync(dir, 0o700);
  }
  fs.mkdirSync(logsDir(), { recursive: true, mode: 0o700 });
  return dir;
}
