// The OpenAI-compatible providers through a real worker: `openai` (any /v1/chat/completions
// endpoint, key from .env as a Bearer token) and the `openrouter` preset (attribution headers).
// The worker's own OPENAI_* / OPENROUTER_* environment points at a second fake that must stay silent.
import { afterEach, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';
import type { RecordedRequest } from '../fakes/fake-http.js';
import { startWorker, type WorkerHandle } from '../helpers/worker.js';
import { fixturePayload, health, hook, listObservations, markedReply, waitForValue } from './agent-support.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function fakePair(marker: string): Promise<{ backend: FakeOpenAI; shell: FakeOpenAI }> {
  // markedReply reads the Anthropic-shaped body; chat bodies have the same `messages` array.
  const backend = await startFakeOpenAI({ handler: (req: RecordedRequest) => markedReply(marker)(req) });
  const shell = await startFakeOpenAI();
  cleanups.push(() => backend.close(), () => shell.close());
  return { backend, shell };
}

async function worker(opts: Parameters<typeof startWorker>[0]): Promise<WorkerHandle> {
  const w = await startWorker(opts);
  cleanups.push(() => w.stop());
  return w;
}

async function oneEvent(w: WorkerHandle, marker: string) {
  const sessionId = `${marker}-session`;
  hook('user-prompt-submit', fixturePayload('02-UserPromptSubmit.json', { session_id: sessionId }), w.env);
  hook('post-tool-use', fixturePayload('10-PostToolUse-Edit.json', { session_id: sessionId }), w.env);
  return waitForValue(async () => {
    const rows = (await listObservations(w)).filter((o) => o.title.startsWith(marker));
    return rows.length === 1 ? rows[0] : null;
  }, 20_000, `an observation from the ${marker} backend`);
}

it('openai: event → observation through CLAUDE_MEM_OPENAI_BASE_URL with the .env key as Bearer', async () => {
  const { backend, shell } = await fakePair('ollamalike');
  const w = await worker({
    settings: {
      CLAUDE_MEM_PROVIDER: 'openai',
      CLAUDE_MEM_OPENAI_BASE_URL: `${backend.url}/v1`,
      CLAUDE_MEM_OPENAI_MODEL: 'qwen2.5-coder:7b',
    },
    dotenv: 'OPENAI_API_KEY=sk-oa-from-dotenv-1234\n',
    env: { OPENAI_API_KEY: 'sk-oa-from-shell-9999', OPENAI_BASE_URL: `${shell.url}/v1` },
  });
  expect(await health(w)).toMatchObject({ provider: 'openai', model: 'qwen2.5-coder:7b', baseUrlHost: `127.0.0.1:${backend.port}`, paused: null });

  const obs = await oneEvent(w, 'ollamalike');
  expect(obs.model).toBe('qwen2.5-coder:7b');
  expect(obs.files_modified).toContain('/home/user/project/src/app.ts');
  expect(obs.tokens?.input_tokens).toBeGreaterThan(0);

  const reqs = backend.chatRequests();
  expect(reqs).toHaveLength(1);
  expect(reqs[0].path.split('?')[0]).toBe('/v1/chat/completions');
  expect(reqs[0].headers.authorization).toBe('Bearer sk-oa-from-dotenv-1234');
  expect(reqs[0].body.model).toBe('qwen2.5-coder:7b');
  expect(reqs[0].body.messages[0].role).toBe('system');
  expect(reqs[0].body.messages.at(-1).content).toContain('tool: Edit');
  expect(shell.requests).toHaveLength(0);
});

it('openrouter: Bearer key from .env plus the attribution headers', async () => {
  const { backend, shell } = await fakePair('openroutertest');
  const w = await worker({
    settings: {
      CLAUDE_MEM_PROVIDER: 'openrouter',
      CLAUDE_MEM_OPENROUTER_BASE_URL: `${backend.url}/api/v1`,
      CLAUDE_MEM_OPENROUTER_MODEL: 'z-ai/glm-4.7',
      CLAUDE_MEM_OPENROUTER_SITE_URL: 'https://example.test/our-team',
      CLAUDE_MEM_OPENROUTER_APP_NAME: 'claude-mem (integration test)',
    },
    dotenv: 'OPENROUTER_API_KEY=sk-or-v1-dotenv-abcdef\n',
    env: { OPENROUTER_API_KEY: 'sk-or-v1-shell-000000', OPENAI_BASE_URL: `${shell.url}/v1` },
  });
  const obs = await oneEvent(w, 'openroutertest');
  expect(obs.model).toBe('z-ai/glm-4.7');

  const reqs = backend.chatRequests();
  expect(reqs).toHaveLength(1);
  expect(reqs[0].path.split('?')[0]).toBe('/api/v1/chat/completions');
  expect(reqs[0].headers.authorization).toBe('Bearer sk-or-v1-dotenv-abcdef');
  expect(reqs[0].headers['http-referer']).toBe('https://example.test/our-team');
  expect(reqs[0].headers['x-title']).toBe('claude-mem (integration test)');
  expect(reqs[0].body.model).toBe('z-ai/glm-4.7');
  expect(shell.requests).toHaveLength(0);
});
