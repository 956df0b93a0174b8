// Deterministic, realistic-looking memory for the search/context/RSS benchmarks: observations
// about a made-up TypeScript web service, with summaries and the prompts behind them, and the
// varied queries a user (or Claude through MCP) would type. Same seed → same data every run.
import { pick, rng } from './lib.mjs';

export const PROJECT = 'acme-shop';

const TYPES = ['bugfix', 'feature', 'refactor', 'change', 'discovery', 'decision', 'security_note'];
const TYPE_WEIGHTS = [0.2, 0.2, 0.1, 0.15, 0.25, 0.08, 0.02];
const CONCEPTS = ['how-it-works', 'why-it-exists', 'what-changed', 'problem-solution', 'gotcha', 'pattern', 'trade-off'];

const AREAS = [
  { dir: 'src/auth', files: ['session.ts', 'tokens.ts', 'oauth.ts', 'middleware.ts'], nouns: ['login', 'refresh token', 'JWT expiry', 'OAuth callback', 'session cookie', 'CSRF check'] },
  { dir: 'src/db', files: ['pool.ts', 'migrations.ts', 'orders.repo.ts', 'users.repo.ts'], nouns: ['connection pool', 'migration', 'transaction', 'deadlock', 'index on orders.created_at', 'N+1 query'] },
  { dir: 'src/api', files: ['router.ts', 'errors.ts', 'validation.ts', 'rateLimit.ts'], nouns: ['route handler', 'zod schema', '429 response', 'error envelope', 'pagination cursor', 'rate limiter'] },
  { dir: 'src/payments', files: ['stripe.ts', 'webhooks.ts', 'refunds.ts', 'invoice.ts'], nouns: ['Stripe webhook', 'idempotency key', 'refund flow', 'invoice PDF', 'currency rounding', 'signature check'] },
  { dir: 'src/search', files: ['indexer.ts', 'query.ts', 'ranking.ts'], nouns: ['product index', 'typo tolerance', 'facet counts', 'bm25 ranking', 'reindex job'] },
  { dir: 'src/jobs', files: ['queue.ts', 'scheduler.ts', 'emails.ts', 'retry.ts'], nouns: ['job queue', 'cron schedule', 'email batch', 'exponential backoff', 'dead-letter queue'] },
  { dir: 'web/components', files: ['Cart.tsx', 'Checkout.tsx', 'ProductList.tsx', 'Header.tsx'], nouns: ['cart badge', 'checkout form', 'infinite scroll', 'hydration mismatch', 'dark mode toggle'] },
  { dir: 'infra', files: ['docker-compose.yml', 'Dockerfile', 'deploy.sh', 'nginx.conf'], nouns: ['Docker build cache', 'health check', 'TLS certificate', 'zero-downtime deploy', 'gzip config'] },
  { dir: 'test', files: ['orders.test.ts', 'auth.test.ts', 'fixtures.ts', 'setup.ts'], nouns: ['flaky test', 'test fixture', 'mock clock', 'snapshot', 'coverage gap'] },
];

const VERBS = {
  bugfix: ['Fixed', 'Resolved', 'Patched', 'Corrected'],
  feature: ['Added', 'Implemented', 'Introduced', 'Built'],
  refactor: ['Extracted', 'Split', 'Simplified', 'Renamed'],
  change: ['Updated', 'Bumped', 'Configured', 'Switched'],
  discovery: ['Found that', 'Learned how', 'Traced how', 'Confirmed that'],
  decision: ['Chose', 'Decided on', 'Kept', 'Rejected'],
  security_note: ['Hardened', 'Audited', 'Restricted'],
};

const CAUSES = [
  'the cache key ignored the tenant id',
  'a missing await let the promise reject unhandled',
  'the timezone was taken from the server instead of the user',
  'two requests raced on the same row without a lock',
  'the retry loop never reset its attempt counter',
  'an off-by-one in the page size dropped the last item',
  'the env var was read at import time before dotenv loaded',
  'the regex was not anchored and matched substrings',
  'the default timeout of 30 s was too short for bulk exports',
  'the library changed its default from UTC to local time',
];

const OUTCOMES = [
  'Tests pass again and the error no longer appears in the logs.',
  'Latency dropped from about 800 ms to 120 ms on the staging data.',
  'This keeps the public API unchanged for existing clients.',
  'A regression test now covers the case.',
  'The old code path is kept behind a flag until the next release.',
  'Production traffic showed no new errors after the deploy.',
];

const ASKS = [
  'fix the failing checkout test',
  'add pagination to the orders endpoint',
  'why are refunds sometimes doubled?',
  'speed up the product search',
  'clean up the auth middleware',
  'set up the deploy script for staging',
  'investigate the memory leak in the job runner',
  'make the cart work offline',
];

function weighted(rand, items, weights) {
  let r = rand();
  for (let i = 0; i < items.length; i++) {
    r -= weights[i];
    if (r <= 0) return items[i];
  }
  return items[items.length - 1];
}

/**
 * n observations (and one summary + prompt per 20 observations), oldest first, 2 minutes apart,
 * ending now. `offset` continues a previous call so ids, sessions and times stay unique.
 */
export function generateMemory(n, { seed = 42, offset = 0, total = n } = {}) {
  const rand = rng(seed + offset);
  const observations = [];
  const summaries = [];
  const prompts = [];
  const end = Date.UTC(2025, 5, 1);
  const stepMs = 120_000;
  for (let i = offset; i < offset + n; i++) {
    const area = pick(rand, AREAS);
    const type = weighted(rand, TYPES, TYPE_WEIGHTS);
    const noun = pick(rand, area.nouns);
    const file = `${area.dir}/${pick(rand, area.files)}`;
    const other = `${area.dir}/${pick(rand, area.files)}`;
    const cause = pick(rand, CAUSES);
    const session = `sess-${Math.floor(i / 20)}`;
    const created = new Date(end - (total - i) * stepMs).toISOString();
    const fn = `${noun.split(' ')[0].replace(/\W/g, '')}${['Handler', 'Service', 'Util', 'Check'][i % 4]}`;
    // Several phrasings per sentence, so no template word ends up in every record (real memory
    // has frequent words, but not words present in 100% of rows).
    const opener = pick(rand, [
      `While working on the ${noun}, Claude traced the behaviour to ${fn}() in ${file}.`,
      `The ${noun} problem came from ${fn}() in ${file}.`,
      `${fn}() (${file}) is where the ${noun} logic sits.`,
      `Reading ${file} showed how ${fn}() drives the ${noun}.`,
    ]);
    const middle = pick(rand, [`The root of it: ${cause}.`, `It turned out ${cause}.`, `Cause: ${cause}.`, `Diagnosis — ${cause}.`]);
    observations.push({
      content_session_id: session,
      project: PROJECT,
      type,
      title: `${pick(rand, VERBS[type])} ${noun} in ${file} (#${i})`,
      subtitle: pick(rand, [`${fn}() now handles the case where ${cause}.`, `Affects ${fn}() and ${other}.`, `Follow-up to the ${noun} work.`]),
      narrative:
        `${opener} ${middle} ${type === 'decision' ? 'The alternative was rejected because it would need a schema change. ' : ''}` +
        `${pick(rand, [`${other} is involved too.`, `See also ${other}.`, ''])} ${pick(rand, OUTCOMES)}`,
      facts: [
        pick(rand, [`${fn}() lives in ${file}`, `${fn}() is defined in ${file}`]),
        pick(rand, [`${noun} depends on ${other}`, `${other} calls into ${fn}()`]),
        pick(rand, [`Root cause: ${cause}`, `${cause} (fixed)`]),
      ],
      concepts: [pick(rand, CONCEPTS), pick(rand, CONCEPTS)].filter((c, k, a) => a.indexOf(c) === k),
      files_read: [file, other],
      files_modified: type === 'discovery' ? [] : [file],
      prompt_number: 1 + (i % 20 >= 10 ? 1 : 0),
      model: 'claude-haiku-4-5-20251001',
      tokens: { input_tokens: 900 + (i % 300), output_tokens: 180 + (i % 90), cache_read_tokens: 1400, cache_write_tokens: 0 },
      created_at: created,
    });
    if (i % 20 === 19) {
      const ask = pick(rand, ASKS);
      summaries.push({
        content_session_id: session,
        project: PROJECT,
        request: ask,
        investigated: `Read ${file} and ${other}; ran the test suite.`,
        learned: `${fn}() was the culprit: ${cause}.`,
        completed: `${pick(rand, VERBS.bugfix)} the ${noun}.`,
        next_steps: 'Watch the error rate after the deploy; add a metric for retries.',
        notes: '',
        prompt_number: 2,
        model: 'claude-haiku-4-5-20251001',
        created_at: created,
      });
      prompts.push({ content_session_id: session, project: PROJECT, prompt_number: 1, prompt_text: ask, created_at: created });
    }
  }
  return { observations, summaries, prompts };
}

/** Varied queries: short keywords, file names, error strings, natural-language questions. */
export const QUERIES = [
  'refresh token',
  'stripe webhook signature',
  'why are refunds doubled',
  'deadlock transaction orders',
  'src/auth/middleware.ts',
  'Checkout.tsx hydration mismatch',
  'how does the rate limiter work',
  'missing await unhandled rejection',
  'timezone bug',
  'N+1 query users.repo',
  'flaky test mock clock',
  'zero-downtime deploy nginx',
  'what did we decide about the schema change',
  'exponential backoff retry counter',
  'cache key tenant',
  'pagination cursor off-by-one',
  'docker build cache slow',
  'bm25 ranking typo tolerance',
  'CSRF',
  'where is the idempotency key checked for refunds in payments',
];
