// Human-readable tables for CLI output.
import type { SearchResults } from '../api/types.js';

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export function formatSearchTable(res: SearchResults): string {
  const lines: string[] = [];
  if (res.observations.length) {
    lines.push('ID      DATE              TYPE            PROJECT          TITLE');
    for (const o of res.observations) {
      const date = o.created_at.slice(0, 16).replace('T', ' ');
      const mark = o.superseded_by != null ? `  [superseded by #${o.superseded_by}]` : o.stale ? `  [stale: ${(o.stale_files ?? []).join(', ') || 'a file changed'}]` : '';
      lines.push(`${String(o.id).padEnd(7)} ${date.padEnd(17)} ${o.type.padEnd(15)} ${cut(o.project, 16).padEnd(16)} ${cut(o.title, 80)}${mark}`);
    }
  }
  if (res.sessions.length) {
    lines.push('', 'Session summaries:');
    for (const s of res.sessions) lines.push(`  S${s.id} ${s.created_at.slice(0, 10)} ${cut(s.request || s.completed, 100)}`);
  }
  if (res.prompts.length) {
    lines.push('', 'Prompts:');
    for (const p of res.prompts) lines.push(`  P${p.id} ${p.created_at.slice(0, 10)} ${cut(p.prompt_text.replace(/\s+/g, ' '), 100)}`);
  }
  return lines.length ? lines.join('\n') : 'No results.';
}

// ---- worker errors in the user's words -------------------------------------------------------

/**
 * A worker error as a sentence about what the user typed. The worker names request fields
 * ("limit: must be ≤ 500"); `options` maps those to the command's options ({ limit: '--limit' }),
 * so the user reads "--limit must be ≤ 500" rather than a route and a status code.
 */
export function describeWorkerError(status: number, message: string, options: Record<string, string> = {}): string {
  if (status === 400 || status === 422) {
    const parts = message.split('; ').map((part) => {
      const m = /^([\w.]+): (.*)$/s.exec(part);
      if (!m) return part;
      // "type.0: …" is about the first of the comma-separated values of --type.
      const option = options[m[1]] ?? options[m[1].split('.')[0]];
      return option ? `${option} ${m[2]}` : `${m[1]} ${m[2]}`;
    });
    return [...new Set(parts)].join('; ');
  }
  if (status === 404) return message;
  if (status === 413) return `the request is too large: ${message}`;
  if (status >= 500) return `the worker failed (${message}). See \`claude-mem worker logs --errors\`.`;
  return message;
}

// ---- provider status -------------------------------------------------------------------------

const CREDENTIAL_KEYS: Record<string, string> = {
  claude: 'ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN for a gateway)',
  openrouter: 'OPENROUTER_API_KEY',
  gemini: 'GEMINI_API_KEY',
  openai: 'OPENAI_API_KEY',
};
const MODEL_KEYS: Record<string, string> = {
  claude: 'CLAUDE_MEM_MODEL',
  openrouter: 'CLAUDE_MEM_OPENROUTER_MODEL',
  gemini: 'CLAUDE_MEM_GEMINI_MODEL',
  openai: 'CLAUDE_MEM_OPENAI_MODEL',
};
const BASE_URL_KEYS: Record<string, string> = {
  claude: 'ANTHROPIC_BASE_URL (`claude-mem env set ANTHROPIC_BASE_URL …`)',
  openrouter: 'CLAUDE_MEM_OPENROUTER_BASE_URL',
  gemini: 'CLAUDE_MEM_GEMINI_BASE_URL',
  openai: 'CLAUDE_MEM_OPENAI_BASE_URL',
};

const UNKNOWN_MODEL = /model\b.*\b(not[ _]found|does not exist|doesn't exist|unknown|invalid|not (supported|available))|(unknown|invalid|unsupported) model|no such model/i;

/**
 * What to do about a provider error, or null when there is nothing the user can fix (an outage,
 * a bad reply). Keyed on the status the message starts with ("401 authentication_error: …").
 */
export function providerFixHint(p: { provider: string; model: string; baseUrl: string; message: string }): string | null {
  const status = Number(/^(\d{3})\b/.exec(p.message)?.[1] ?? 0);
  const cred = CREDENTIAL_KEYS[p.provider] ?? 'the API key';
  const modelKey = MODEL_KEYS[p.provider] ?? 'the model setting';
  const restart = 'then run `claude-mem worker restart`';
  if (status === 401) {
    return `the backend at ${p.baseUrl} refused the credentials. Check which one is used with \`claude-mem env list\`, set ${cred} with \`claude-mem env set\`, ${restart}.`;
  }
  if (status === 403) {
    return `the credentials are valid but not allowed to use model "${p.model}" at ${p.baseUrl}. Check the key's permissions or pick another model (${modelKey}), ${restart}.`;
  }
  if (UNKNOWN_MODEL.test(p.message) || (status === 404 && /model/i.test(p.message))) {
    return `model "${p.model}" is not known at ${p.baseUrl}. Set ${modelKey} to a model this backend serves (\`claude-mem doctor\` tries it), ${restart}.`;
  }
  if (status === 404) {
    const doubled = p.provider === 'claude' && /\/v1\/?$/.test(p.baseUrl) ? ' It ends in /v1, and the Anthropic SDK appends /v1/messages itself: drop the /v1.' : '';
    return `${p.baseUrl} has no such endpoint: check the base URL, ${BASE_URL_KEYS[p.provider] ?? 'the base URL setting'}.${doubled} Then run \`claude-mem worker restart\`.`;
  }
  if (status === 402 || /credit balance|insufficient[_ ]credits?|insufficient_quota|billing/i.test(p.message)) {
    return `the account behind ${cred} has no credit or quota left: add some at the provider, ${restart}.`;
  }
  return null;
}

/** "backend unavailable since …, next probe in 12s" for an open outage breaker. */
export function describeOutage(o: { since: string; nextProbeAt: string }, now = Date.now()): string {
  const inSeconds = Math.max(0, Math.round((Date.parse(o.nextProbeAt) - now) / 1000));
  return `backend unavailable since ${o.since}, next probe in ${inSeconds}s`;
}
