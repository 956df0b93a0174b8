// `claude-mem doctor`: one line per check, with the fix when something is wrong.
import fs from 'node:fs';
import { describeCredentialSources } from '../shared/EnvManager.js';
import { dataDir, envFilePath, settingsPath } from '../shared/paths.js';
import { loadSettings } from '../shared/SettingsManager.js';
import { health, workerBaseUrl } from './workerControl.js';

function mode(p: string): number | null {
  try {
    return fs.statSync(p).mode & 0o777;
  } catch {
    return null;
  }
}

export async function runDoctor(opts: { pluginRoot: string; installed: { installed: boolean; path: string | null } }): Promise<boolean> {
  let ok = true;
  const line = (good: boolean | 'warn', text: string) => {
    if (good === false) ok = false;
    console.log(`${good === true ? '✔' : good === 'warn' ? '!' : '✘'} ${text}`);
  };

  const dir = dataDir();
  const dirMode = mode(dir);
  line(dirMode !== null && (dirMode & 0o077) === 0, `data dir ${dir}${dirMode === null ? ' does not exist (the worker creates it on first start)' : ` mode ${dirMode.toString(8)}${dirMode & 0o077 ? ' — too open; run `chmod 700` on it' : ''}`}`);

  const loaded = loadSettings({ createIfMissing: false });
  line(loaded.errors.length === 0, `settings ${settingsPath()}${loaded.errors.length ? '' : ' valid'}`);
  for (const e of loaded.errors) console.log(`    ${e.message}`);
  const s = loaded.settings;

  const envMode = mode(envFilePath());
  if (envMode === null) line('warn', `.env ${envFilePath()} not found — set credentials with \`claude-mem env set ANTHROPIC_API_KEY …\``);
  else line((envMode & 0o077) === 0, `.env ${envFilePath()} mode ${envMode.toString(8)}${envMode & 0o077 ? ' — readable by others; run `chmod 600` (or `claude-mem env set` repairs it)' : ''}`);

  const creds = describeCredentialSources({ autodetect: s.CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV === 'true' });
  for (const c of creds.credentials) console.log(`    ${c.key.padEnd(22)} ${c.set ? `set, from ${c.source}` : 'not set'}`);
  if (creds.autodetect) console.log(`    model default (ANTHROPIC_DEFAULT_HAIKU_MODEL) ${creds.haikuModel.set ? `from ${creds.haikuModel.source}` : 'not set'}`);
  console.log(`    model: ${s.CLAUDE_MEM_MODEL} (from ${process.env.CLAUDE_MEM_MODEL ? 'environment' : 'settings.json or default'})`);
  if (creds.blockedInShell.length) console.log(`    ignored from your shell (isolation): ${creds.blockedInShell.join(', ')}`);
  if (creds.ignoredEnvKeys.length) console.log(`    unrecognised keys in .env (ignored): ${creds.ignoredEnvKeys.join(', ')}`);
  const needs: Record<string, string[]> = {
    claude: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'],
    openrouter: ['OPENROUTER_API_KEY'],
    gemini: ['GEMINI_API_KEY'],
    openai: [],
  };
  const wanted = needs[s.CLAUDE_MEM_PROVIDER] ?? [];
  const haveCred = wanted.length === 0 || wanted.some((k) => creds.credentials.find((c) => c.key === k)?.set) ||
    (s.CLAUDE_MEM_PROVIDER === 'openrouter' && !!s.CLAUDE_MEM_OPENROUTER_API_KEY) ||
    (s.CLAUDE_MEM_PROVIDER === 'gemini' && !!s.CLAUDE_MEM_GEMINI_API_KEY);
  line(haveCred, `provider ${s.CLAUDE_MEM_PROVIDER}${haveCred ? ' has credentials' : ` needs ${wanted.join(' or ')} — \`claude-mem env set ${wanted[0]} …\``}`);

  if (s.CLAUDE_MEM_DATABASE_URL.trim()) {
    // Team mode: loaded on demand, only then is the PostgreSQL driver needed.
    const { checkPostgres } = await import('../services/postgres/pgDoctor.js');
    for (const l of await checkPostgres(s.CLAUDE_MEM_DATABASE_URL, s.CLAUDE_MEM_SHARED_PROJECTS)) line(l.good, l.text);
  }

  const h = await health(1500);
  if (!h) line(false, `worker not answering at ${workerBaseUrl()} — \`claude-mem worker start\`, then \`claude-mem worker logs\``);
  else {
    line(!h.paused, `worker pid ${h.pid} v${h.version}: queue ${h.queueDepth}, dead ${h.deadLetters}, ${h.provider}/${h.model} @ ${h.baseUrlHost || '-'}`);
    if (h.paused) console.log(`    paused: ${h.paused}`);
    if (h.lastError) console.log(`    last error: ${h.lastError.message}`);
  }

  line(opts.installed.installed, opts.installed.installed ? `hooks + MCP registered (plugin at ${opts.installed.path})` : 'hooks not registered with Claude Code — run `claude-mem install`');
  return ok;
}
