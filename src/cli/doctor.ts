// `claude-mem doctor`: one line per check, with the fix when something is wrong. The provider check
// sends one tiny request from this process, through the same factory and isolated environment the
// worker uses, and prints what came back verbatim: a wrong key or an unreachable gateway shows here
// even while the worker looks fine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildIsolatedEnv, describeCredentialSources } from '../config/EnvManager.js';
import { dataDir, envFilePath, settingsPath } from '../config/paths.js';
import { getBool, getInt, loadSettings, type Settings } from '../config/SettingsManager.js';
import { createProvider, describeProvider } from '../agent/providers/providerFactory.js';
import type { ProviderInfo } from '../agent/providers/providers.js';
import { inspectWorkerLock } from '../worker/lock.js';
import { describeOutage, providerFixHint } from './format.js';
import { health, workerBaseUrl } from './workerControl.js';

/** The test request may take this long at most (less when CLAUDE_MEM_REQUEST_TIMEOUT_MS is lower). */
export const PROBE_TIMEOUT_MS = 20_000;

function mode(p: string): number | null {
  try {
    return fs.statSync(p).mode & 0o777;
  } catch {
    return null;
  }
}

export type ProbeResult =
  | { ok: true; info: ProviderInfo; text: string; model: string; ms: number }
  | { ok: false; info: ProviderInfo; message: string; ms: number };

/**
 * One request through the configured provider: a few output tokens, a bounded wait, no retries.
 * Never throws; a configuration error (missing key, bad URL) is a failed probe with its message.
 */
export async function probeProvider(settings: Settings, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const started = Date.now();
  let info: ProviderInfo = describeProvider(settings, {});
  const wait = Math.min(timeoutMs, getInt(settings, 'CLAUDE_MEM_REQUEST_TIMEOUT_MS') || timeoutMs);
  try {
    const env = buildIsolatedEnv({ autodetect: getBool(settings, 'CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV') });
    info = describeProvider(settings, env);
    const provider = createProvider(settings, env, { timeoutMs: wait });
    info = provider.info;
    const session = provider.startSession({ contentSessionId: 'claude-mem-doctor', project: 'claude-mem-doctor' });
    try {
      const res = await session.send({
        system: 'This is a connectivity check. Answer with the single word: ok',
        turns: [{ role: 'user', content: 'Reply with: ok' }],
        maxTokens: 16,
        signal: AbortSignal.timeout(wait + 1000),
      });
      return { ok: true, info, text: res.text, model: res.model, ms: Date.now() - started };
    } finally {
      await session.close().catch(() => undefined);
    }
  } catch (err) {
    return { ok: false, info, message: err instanceof Error ? err.message : String(err), ms: Date.now() - started };
  }
}

/** Starts the MCP server as Claude Code does (stdio) and waits for its answer to `initialize`. */
export function probeMcpServer(script: string, timeoutMs = 10_000): Promise<{ ok: true; ms: number } | { ok: false; script: string; message: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    let done = false;
    const finish = (r: { ok: true; ms: number } | { ok: false; script: string; message: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, script, message: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"id":1') && out.includes('"result"')) finish({ ok: true, ms: Date.now() - started });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => finish({ ok: false, script, message: e.message }));
    child.on('exit', (code) => finish({ ok: false, script, message: `it exited (${code})${err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : ''}` }));
    child.stdin.on('error', () => undefined);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'claude-mem-doctor', version: '0' } } })}\n`);
  });
}

export async function runDoctor(opts: {
  pluginRoot: string;
  installed: { installed: boolean; path: string | null; mode?: string | null; problems?: string[] };
  /** Skip the test request to the provider (no network). */
  offline?: boolean;
}): Promise<boolean> {
  let ok = true;
  const line = (good: boolean | 'warn', text: string) => {
    if (good === false) ok = false;
    console.log(`${good === true ? '✔' : good === 'warn' ? '!' : '✘'} ${text}`);
  };

  const dir = dataDir();
  const dirMode = mode(dir);
  line(dirMode !== null && (dirMode & 0o077) === 0, `data dir ${dir}${dirMode === null ? ' does not exist (the worker creates it on first start)' : ` mode ${dirMode.toString(8)}${dirMode & 0o077 ? ' — too open; run `chmod 700` on it' : ''}`}`);

  const loaded = loadSettings({ createIfMissing: false });
  const errors = loaded.errors.filter((e) => e.severity !== 'warning');
  const warnings = loaded.errors.filter((e) => e.severity === 'warning');
  line(errors.length ? false : warnings.length ? 'warn' : true, `settings ${settingsPath()}${loaded.errors.length ? '' : ' valid'}`);
  for (const e of loaded.errors) console.log(`    ${e.message}`);
  const s = loaded.settings;

  const envMode = mode(envFilePath());
  if (envMode === null) line('warn', `.env ${envFilePath()} not found — set credentials with \`claude-mem env set ANTHROPIC_API_KEY …\``);
  else line((envMode & 0o077) === 0, `.env ${envFilePath()} mode ${envMode.toString(8)}${envMode & 0o077 ? ' — readable by others; run `chmod 600` (or `claude-mem env set` repairs it)' : ''}`);

  let creds: ReturnType<typeof describeCredentialSources> | null = null;
  try {
    creds = describeCredentialSources({ autodetect: s.CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV === 'true' });
  } catch (err) {
    // An unreadable .env: say so on stderr and go on with the other checks.
    ok = false;
    console.error(`✘ ${(err as Error).message}`);
  }
  if (creds) {
    for (const c of creds.credentials) console.log(`    ${c.key.padEnd(22)} ${c.set ? `set, from ${c.source}` : 'not set'}`);
    if (creds.autodetect) console.log(`    model default (ANTHROPIC_DEFAULT_HAIKU_MODEL) ${creds.haikuModel.set ? `from ${creds.haikuModel.source}` : 'not set'}`);
    if (creds.blockedInShell.length) console.log(`    ignored from your shell (isolation): ${creds.blockedInShell.join(', ')}`);
    if (creds.ignoredEnvKeys.length) console.log(`    unrecognised keys in .env (ignored): ${creds.ignoredEnvKeys.join(', ')}`);
  }

  // The provider exactly as the worker builds it: name, model, the whole base URL, then one request.
  if (opts.offline) {
    const info = describeProvider(s, {});
    line('warn', `provider ${info.provider} not tried (--offline)`);
  } else {
    const probe = await probeProvider(s);
    const what = `provider ${probe.info.provider} · model ${probe.info.model || '-'} · ${probe.info.baseUrl || '-'}`;
    if (probe.ok) {
      line(true, `${what} answered in ${probe.ms} ms: ${JSON.stringify(probe.text)}${probe.model && probe.model !== probe.info.model ? ` (model ${probe.model})` : ''}`);
    } else {
      line(false, `${what} failed after ${probe.ms} ms: ${probe.message}`);
      const hint = providerFixHint({ ...probe.info, message: probe.message });
      if (hint) console.log(`    fix: ${hint}`);
    }
  }

  if (s.CLAUDE_MEM_DATABASE_URL.trim()) {
    // Team mode: loaded on demand, only then is the PostgreSQL driver needed.
    const { checkPostgres } = await import('../store/postgres/pgDoctor.js');
    for (const l of await checkPostgres(s.CLAUDE_MEM_DATABASE_URL, s.CLAUDE_MEM_SHARED_PROJECTS)) line(l.good, l.text);
  }

  const h = await health(1500);
  if (!h) line(false, `worker not answering at ${workerBaseUrl()} — \`claude-mem worker start\`, then \`claude-mem worker logs\``);
  else {
    line(!h.paused && !h.outage, `worker pid ${h.pid} v${h.version}: queue ${h.queueDepth}, dead ${h.deadLetters}, ${h.provider}/${h.model} @ ${h.baseUrl || h.baseUrlHost || '-'}`);
    if (h.paused) console.log(`    paused: ${h.paused}`);
    if (h.outage) console.log(`    ${describeOutage(h.outage)}: ${h.outage.lastError}`);
    if (h.lastError) {
      if (h.lastError.message !== h.paused) console.log(`    last error: ${h.lastError.message}`);
      const hint = providerFixHint({ provider: h.provider, model: h.model, baseUrl: h.baseUrl, message: h.lastError.message });
      if (hint) console.log(`    fix: ${hint}`);
    }
  }
  // The lock and pid files: who holds them, and whether a stale one names a stranger.
  for (const l of inspectWorkerLock(h)) line(l.good, l.text);

  // Claude Code starts the MCP server for every session; on current releases it also answers the
  // hooks that bring memory back (context, recall, file context), so it must start cleanly.
  const mcp = await probeMcpServer(path.join(opts.pluginRoot, 'dist', 'mcp', 'mcp-server.js'));
  if (mcp.ok) line(true, `MCP server answered initialize in ${mcp.ms} ms`);
  else line(false, `MCP server ${mcp.script} did not answer initialize: ${mcp.message} — without it Claude Code has no search tools, and no context, recall or file context on 2.1.118+`);

  line(
    opts.installed.installed,
    opts.installed.installed
      ? `hooks + MCP registered (plugin at ${opts.installed.path}${opts.installed.mode ? `, ${opts.installed.mode} hooks` : ''})`
      : 'hooks not registered with Claude Code — run `claude-mem install`',
  );
  // Hook registration vs the configured worker address and this copy of claude-mem.
  for (const p of opts.installed.problems ?? []) line(false, p);
  return ok;
}
