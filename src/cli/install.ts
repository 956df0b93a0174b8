// `claude-mem install`: generates the plugin Claude Code loads into <data dir>/plugin/ (inside the
// 0700 data dir: the hooks config names the worker's address and carries the hooks' credential),
// then registers that directory in <config dir>/settings.json as a local "directory" marketplace
// with the plugin enabled. Backup first, atomic writes, unrelated keys untouched. See docs/capture.md.
//
// Hooks: every event except SessionStart is an http hook posting Claude Code's payload straight to
// the worker (no process per event). SessionStart stays a command hook: it starts the worker and
// injects context (2.1.332 does not run an http SessionStart hook). The hooks that answer with
// memory — UserPromptSubmit's recall, PreToolUse(Read)'s file context — need the worker token,
// which the hooks' credential is not: on a current Claude Code they are `mcp_tool` hooks served by
// the plugin's MCP server (already running, it proves the worker before sending the token), and
// SessionStart(startup|resume|clear) runs in the background, its context coming with the first
// prompt. Older releases get command hooks for those answers, or for every event.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { claudeConfigDir, claudeSettingsPath, dataDir, ensureDataDir } from '../config/paths.js';
import { loadSettings } from '../config/SettingsManager.js';
import { parseJsonText, writeFileAtomic } from '../lib/fsutil.js';
import { TranscriptState } from '../capture/transcriptState.js';
import { ensureWorkerToken } from '../config/workerToken.js';
import { HOOK_TOOL } from '../mcp/hookTool.js';

export const MARKETPLACE = 'claude-mem-local';
export const PLUGIN_ID = `claude-mem@${MARKETPLACE}`;
/** First Claude Code release with `type: "http"` hooks (changelog); 2.1.332 is the verified one. */
export const MIN_HTTP_HOOKS_VERSION = '2.1.63';
/** First release with `type: "mcp_tool"` hooks (the hooks reference gained them in April 2026); 2.1.332 is the verified one. */
export const MIN_MCP_TOOL_HOOKS_VERSION = '2.1.118';

/**
 * mcp: http hooks record, mcp_tool hooks answer with memory; http: http hooks record, command hooks
 * answer; command: a process per event.
 */
export type HookMode = 'mcp' | 'http' | 'command';
export const HOOK_MODES: readonly HookMode[] = ['mcp', 'http', 'command'];
/** The plugin's MCP server as Claude Code names it (`plugin:<plugin>:<server>`), and its tool for hooks. */
export const MCP_SERVER_KEY = 'mem-search';
const MCP_HOOK_SERVER = `plugin:claude-mem:${MCP_SERVER_KEY}`;
/** The events the worker receives, and the http hook timeout (seconds) for each. */
// Short: the worker answers in milliseconds, and what a hung worker misses is recovered from the
// transcript; a long timeout would only make a hung worker slow Claude Code down.
export const HTTP_EVENTS: Record<string, number> = {
  UserPromptSubmit: 2,
  PreToolUse: 2,
  PostToolUse: 2,
  PostToolUseFailure: 2,
  Stop: 2,
  SessionEnd: 1,
};
const COMMAND_BUNDLES: Record<string, string> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'user-prompt-submit',
  PreToolUse: 'pre-tool-use',
  PostToolUse: 'post-tool-use',
  PostToolUseFailure: 'post-tool-use-failure',
  Stop: 'stop',
  SessionEnd: 'session-end',
};

/** Hooks whose answer is memory: they need the worker token and a verified worker (see above). */
const ANSWERING = new Set(['PreToolUse', 'UserPromptSubmit']);

type Json = Record<string, unknown>;

export const pluginDir = (): string => path.join(dataDir(), 'plugin');

function readSettings(file: string): Json {
  if (!fs.existsSync(file)) return {};
  const data = parseJsonText(fs.readFileSync(file, 'utf8'), file);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${file} must contain a JSON object; fix it by hand, then run install again`);
  }
  return data as Json;
}

function backup(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  const copy = `${file}.claude-mem-backup`;
  fs.copyFileSync(file, copy);
  return copy;
}

function objectAt(obj: Json, key: string): Json {
  const v = obj[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

// ---- version detection ---------------------------------------------------------------------------

export function parseVersion(text: string): [number, number, number] | null {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function versionAtLeast(v: [number, number, number], min: string): boolean {
  const m = parseVersion(min)!;
  for (let i = 0; i < 3; i++) if (v[i] !== m[i]) return v[i] > m[i];
  return true;
}

/** `claude --version`, or null when Claude Code cannot be run from here. */
export function detectClaudeVersion(bin = 'claude'): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !r.stdout) return null;
  const v = parseVersion(r.stdout);
  return v ? v.join('.') : null;
}

export interface HookChoice {
  mode: HookMode;
  claudeVersion: string | null;
  why: string;
}

export function chooseHookMode(requested: 'auto' | HookMode, claudeVersion: string | null): HookChoice {
  if (requested !== 'auto') return { mode: requested, claudeVersion, why: `--hooks ${requested}` };
  if (claudeVersion === null) {
    return { mode: 'mcp', claudeVersion, why: `Claude Code's version could not be read (\`claude --version\`); assuming a current one. If hooks do not fire, run \`claude-mem install --hooks command\`` };
  }
  const v = parseVersion(claudeVersion)!;
  if (versionAtLeast(v, MIN_MCP_TOOL_HOOKS_VERSION)) return { mode: 'mcp', claudeVersion, why: `Claude Code ${claudeVersion} supports http and mcp_tool hooks` };
  if (versionAtLeast(v, MIN_HTTP_HOOKS_VERSION)) {
    return { mode: 'http', claudeVersion, why: `Claude Code ${claudeVersion} supports http hooks; memory answers need a process until ${MIN_MCP_TOOL_HOOKS_VERSION} (mcp_tool hooks). Upgrade Claude Code, then run install again` };
  }
  return { mode: 'command', claudeVersion, why: `Claude Code ${claudeVersion} is older than ${MIN_HTTP_HOOKS_VERSION} (no http hooks): one process per event. Upgrade Claude Code, then run install again` };
}

// ---- the generated plugin -----------------------------------------------------------------------

/** Where the worker is reached (as the hooks must name it): host and port from settings/env. */
export function workerAddress(): { host: string; port: number } {
  const { settings } = loadSettings({ createIfMissing: false });
  const host = settings.CLAUDE_MEM_WORKER_HOST === '0.0.0.0' || settings.CLAUDE_MEM_WORKER_HOST === '::' ? '127.0.0.1' : settings.CLAUDE_MEM_WORKER_HOST;
  return { host, port: Number(settings.CLAUDE_MEM_WORKER_PORT) };
}

export const hookUrl = (host: string, port: number, event: string): string =>
  `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/hooks/${event}`;

const quote = (p: string) => `"${p.replace(/(["\\$`])/g, '\\$1')}"`;

/**
 * http hooks carry the hook credential (config/workerToken.ts) in a header: it only records events
 * (POST capture routes), so whoever holds the port gains nothing that reads memory. It is written
 * literally into hooks.json because the plugin dir is inside the 0700 data dir — an env var would
 * have to live in every shell's environment, readable by other tools of the user and easy to leak
 * into logs; the file is readable by the user alone.
 */
export function hooksConfig(packageRoot: string, mode: HookMode, addr: { host: string; port: number }, hookCredential?: string): Json {
  const command = (event: string, timeout: number, args = '') => ({
    type: 'command',
    command: `node ${quote(path.join(packageRoot, 'dist', 'hooks', `${COMMAND_BUNDLES[event]}.cjs`))}${args}`,
    timeout,
  });
  const http = (event: string) => ({
    type: 'http',
    url: hookUrl(addr.host, addr.port, event),
    timeout: HTTP_EVENTS[event],
    ...(hookCredential ? { headers: { Authorization: `Bearer ${hookCredential}` } } : {}),
  });
  // Claude Code fills `${…}` from the hook's payload; the first prompt may wait for a worker that
  // SessionStart is still starting, hence its longer timeout.
  const answer = (event: string, input: Json) => ({
    type: 'mcp_tool',
    server: MCP_HOOK_SERVER,
    tool: HOOK_TOOL,
    input: { event, session_id: '${session_id}', cwd: '${cwd}', ...input },
    timeout: event === 'UserPromptSubmit' ? 8 : 5,
  });
  const handlers = (event: string): Json[] => {
    if (mode === 'command') return [command(event, HTTP_EVENTS[event])];
    if (!ANSWERING.has(event)) return [http(event)];
    if (mode === 'http') return [command(event, HTTP_EVENTS[event])];
    // mcp: the prompt is recorded by its http hook, answered by the MCP server; Read only answered.
    return event === 'UserPromptSubmit'
      ? [http(event), answer(event, { prompt: '${prompt}' })]
      : [answer(event, { tool_name: '${tool_name}', file_path: '${tool_input.file_path}' })];
  };
  const hooks: Json = {
    SessionStart:
      mode === 'mcp'
        ? [
            // In the background: the context comes with the session's first prompt (hookTool.ts).
            { matcher: 'startup|resume|clear', hooks: [{ ...command('SessionStart', 10, ' --context-on-first-prompt'), async: true }] },
            // Compaction can happen mid-turn, with no prompt to carry the context: it waits for it.
            { matcher: 'compact', hooks: [command('SessionStart', 10)] },
          ]
        : [{ hooks: [command('SessionStart', 10)] }],
  };
  for (const event of Object.keys(HTTP_EVENTS)) {
    const matcher = event === 'PreToolUse' ? 'Read' : event.startsWith('PostToolUse') ? '*' : undefined;
    hooks[event] = [{ ...(matcher ? { matcher } : {}), hooks: handlers(event) }];
  }
  return { hooks };
}

function writeJson(file: string, value: unknown): boolean {
  const text = JSON.stringify(value, null, 2) + '\n';
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch {
    /* new file */
  }
  writeFileAtomic(file, text, 0o600);
  return true;
}

function packageVersion(packageRoot: string): string {
  try {
    return String((JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}

/** Writes <data dir>/plugin/ for this package and address; true when anything changed. */
export function writePlugin(packageRoot: string, mode: HookMode, addr = workerAddress()): boolean {
  ensureDataDir();
  const dir = pluginDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const description = 'Persistent memory for Claude Code: remembers what you built, fixed and learned, and brings it back next session.';
  let changed = false;
  changed = writeJson(path.join(dir, '.claude-plugin', 'plugin.json'), { name: 'claude-mem', version: packageVersion(packageRoot), description }) || changed;
  changed =
    writeJson(path.join(dir, '.claude-plugin', 'marketplace.json'), {
      name: MARKETPLACE,
      owner: { name: 'claude-mem' },
      plugins: [{ name: 'claude-mem', source: './', description: 'Persistent memory for Claude Code' }],
    }) || changed;
  // The token is created here if the worker never ran, so the hooks carry a credential from the start.
  const { hookCredential } = ensureWorkerToken();
  changed = writeJson(path.join(dir, 'hooks', 'hooks.json'), hooksConfig(packageRoot, mode, addr, hookCredential)) || changed;
  changed =
    writeJson(path.join(dir, '.mcp.json'), {
      mcpServers: { [MCP_SERVER_KEY]: { command: 'node', args: [path.join(packageRoot, 'dist', 'mcp', 'mcp-server.js')] } },
    }) || changed;
  return changed;
}

export interface InstallResult {
  settingsFile: string;
  backup: string | null;
  changed: boolean;
}

export interface InstallOutcome extends InstallResult {
  pluginDir: string;
  hooks: HookChoice;
}

export function install(opts: { packageRoot: string; hooks?: 'auto' | HookMode; claudeBin?: string }): InstallOutcome {
  const requested = opts.hooks ?? 'auto';
  const version = requested === 'auto' ? detectClaudeVersion(opts.claudeBin) : null;
  const choice = chooseHookMode(requested, version);
  const pluginChanged = writePlugin(opts.packageRoot, choice.mode);
  // Sessions from now on are caught up from their transcripts even if the worker never saw them.
  new TranscriptState().markCaptureStart();

  fs.mkdirSync(claudeConfigDir(), { recursive: true });
  const file = claudeSettingsPath();
  const settings = readSettings(file);
  const marketplaces = objectAt(settings, 'extraKnownMarketplaces');
  const enabled = objectAt(settings, 'enabledPlugins');
  const wanted = { source: { source: 'directory', path: pluginDir() } };
  const changed = JSON.stringify(marketplaces[MARKETPLACE]) !== JSON.stringify(wanted) || enabled[PLUGIN_ID] !== true;
  if (!changed) return { settingsFile: file, backup: null, changed: pluginChanged, pluginDir: pluginDir(), hooks: choice };
  const saved = backup(file);
  settings.extraKnownMarketplaces = { ...marketplaces, [MARKETPLACE]: wanted };
  settings.enabledPlugins = { ...enabled, [PLUGIN_ID]: true };
  writeFileAtomic(file, JSON.stringify(settings, null, 2) + '\n');
  return { settingsFile: file, backup: saved, changed: true, pluginDir: pluginDir(), hooks: choice };
}

/** Keys present before we first installed, per the backup install wrote (null: no usable backup). */
function keysBeforeInstall(file: string): Set<string> | null {
  try {
    const before = JSON.parse(fs.readFileSync(`${file}.claude-mem-backup`, 'utf8')) as unknown;
    return before && typeof before === 'object' && !Array.isArray(before) ? new Set(Object.keys(before)) : null;
  } catch {
    return null;
  }
}

export function uninstall(): InstallResult {
  const file = claudeSettingsPath();
  const settings = readSettings(file);
  const marketplaces = objectAt(settings, 'extraKnownMarketplaces');
  const enabled = objectAt(settings, 'enabledPlugins');
  if (!(MARKETPLACE in marketplaces) && !(PLUGIN_ID in enabled)) return { settingsFile: file, backup: null, changed: false };
  // Read before backup() overwrites it: an empty container the user already had is kept.
  const hadBefore = keysBeforeInstall(file);
  const saved = backup(file);
  delete marketplaces[MARKETPLACE];
  delete enabled[PLUGIN_ID];
  // Drop containers that only we had filled, so install + uninstall leaves the file as it was.
  const keep = (key: string, value: Json) => Object.keys(value).length > 0 || !!hadBefore?.has(key);
  if (keep('extraKnownMarketplaces', marketplaces)) settings.extraKnownMarketplaces = marketplaces;
  else delete settings.extraKnownMarketplaces;
  if (keep('enabledPlugins', enabled)) settings.enabledPlugins = enabled;
  else delete settings.enabledPlugins;
  writeFileAtomic(file, JSON.stringify(settings, null, 2) + '\n');
  fs.rmSync(pluginDir(), { recursive: true, force: true });
  return { settingsFile: file, backup: saved, changed: true };
}

export interface InstallStatus {
  installed: boolean;
  path: string | null;
  /** http or command hooks, as registered (null when unknown). */
  mode: HookMode | null;
  /** What disagrees with the current configuration, each with its fix. */
  problems: string[];
}

/** Whether the plugin is registered, and whether its hooks still match this package and the configured address. */
export function isInstalled(packageRoot?: string): InstallStatus {
  const out: InstallStatus = { installed: false, path: null, mode: null, problems: [] };
  try {
    const settings = readSettings(claudeSettingsPath());
    const m = objectAt(settings, 'extraKnownMarketplaces')[MARKETPLACE] as { source?: { path?: string } } | undefined;
    const on = objectAt(settings, 'enabledPlugins')[PLUGIN_ID] === true;
    out.path = m?.source?.path ?? null;
    out.installed = on && !!out.path;
  } catch {
    return out;
  }
  if (!out.installed || !out.path) return out;
  if (path.resolve(out.path) !== pluginDir()) {
    out.problems.push(`the registered plugin is ${out.path}, not ${pluginDir()} — run \`claude-mem install\``);
    return out;
  }
  let hooks: Json;
  try {
    hooks = objectAt(JSON.parse(fs.readFileSync(path.join(pluginDir(), 'hooks', 'hooks.json'), 'utf8')) as Json, 'hooks');
  } catch {
    out.problems.push(`${path.join(pluginDir(), 'hooks', 'hooks.json')} is missing or unreadable — run \`claude-mem install\``);
    return out;
  }
  const entries = Object.values(hooks).flatMap((groups) =>
    (Array.isArray(groups) ? groups : []).flatMap((g) => ((g as { hooks?: unknown[] }).hooks ?? []) as Array<{ type?: string; url?: string; command?: string }>),
  );
  const urls = entries.filter((e) => e.type === 'http').map((e) => e.url ?? '');
  out.mode = entries.some((e) => e.type === 'mcp_tool') ? 'mcp' : urls.length ? 'http' : 'command';
  const { host, port } = workerAddress();
  const wantPrefix = hookUrl(host, port, '');
  const wrong = urls.filter((u) => !u.startsWith(wantPrefix));
  if (wrong.length) {
    out.problems.push(`hooks post to ${new URL(wrong[0]).host} but the worker is configured at ${host}:${port} — run \`claude-mem install\` to rewrite them`);
  }
  if (packageRoot) {
    const start = entries.find((e) => e.type === 'command')?.command ?? '';
    if (!start.includes(path.join(packageRoot, 'dist', 'hooks'))) {
      out.problems.push(`the hooks run another copy of claude-mem (${start}) — run \`claude-mem install\` from this one`);
    }
  }
  return out;
}
