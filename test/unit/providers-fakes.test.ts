// The fakes are used by many later tests: check them against the real SDK clients, streaming too.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/fake-anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';

describe('fake Anthropic server', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ apiKey: 'k', baseURL: `${fake.url}/gw`, maxRetries: 0, logLevel: 'off' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setHandler((req) => ({ text: `you said: ${req.body.messages.at(-1).content}` }));
  });

  const params = (content: string, system = 'S'.repeat(40)) => ({
    model: 'glm-4.7',
    max_tokens: 100,
    system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }],
    messages: [{ role: 'user' as const, content }],
  });

  it('streams proper SSE events that the SDK assembles into a message', async () => {
    const stream = client.messages.stream(params('hello world, this is a streamed reply'));
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const msg = await stream.finalMessage();
    expect(msg.content).toEqual([{ type: 'text', text: 'you said: hello world, this is a streamed reply' }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.model).toBe('glm-4.7');
    expect(msg.usage.output_tokens).toBeGreaterThan(1);
    expect(events[0]).toBe('message_start');
    expect(events).toContain('content_block_start');
    expect(events.filter((e) => e === 'content_block_delta').length).toBeGreaterThan(1);
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(fake.requests[0].path).toBe('/gw/v1/messages');
    expect(fake.requests[0].body.stream).toBe(true);
  });

  it('serves tool_use blocks, streaming and not', async () => {
    fake.setHandler(() => ({ toolUse: { name: 'Bash', input: { command: 'ls -la', description: 'list' }, id: 'toolu_1' }, text: 'Let me look.' }));
    const plain = await client.messages.create(params('go'));
    expect(plain.stop_reason).toBe('tool_use');
    expect(plain.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -la', description: 'list' } },
    ]);
    const streamed = await client.messages.stream(params('go')).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -la', description: 'list' } });
  });

  it('reports cache creation then cache read for the same cached system text, and tokens that grow with input', async () => {
    const system = 'C'.repeat(40); // not used by the other tests, so not cached yet
    const a = await client.messages.create(params('x'.repeat(40), system));
    const b = await client.messages.create(params('x'.repeat(400), system));
    expect(a.usage.cache_creation_input_tokens).toBe(10);
    expect(b.usage.cache_read_input_tokens).toBe(10);
    expect(b.usage.input_tokens).toBeGreaterThan(a.usage.input_tokens);
  });

  it('sends Anthropic-shaped errors with a request-id header', async () => {
    fake.setHandler(() => ({ status: 529, message: 'Overloaded' }));
    const err = (await client.messages.create(params('x')).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(529);
    expect(err.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(err.requestID).toMatch(/^req_fake_/);
  });

  it('cuts a stream mid-way on truncate', async () => {
    fake.setHandler(() => ({ truncate: true, text: 'a fairly long answer that will never arrive in full' }));
    const stream = client.messages.stream(params('x'));
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(deltas.join('')).not.toBe('a fairly long answer that will never arrive in full');
  });

  it('defaults to an <observation> derived from the last user message', async () => {
    fake.setHandler((await import('../fakes/fake-anthropic.js')).defaultAnthropicHandler);
    const msg = await client.messages.create(params('Edited src/app.ts to fix the & bug'));
    const text = msg.content[0].type === 'text' ? msg.content[0].text : '';
    expect(text).toContain('<observation>');
    expect(text).toContain('<title>Edited src/app.ts to fix the &amp; bug</title>');
  });

  it('answers count_tokens and 404s unknown paths in the Anthropic error shape', async () => {
    const count = await fetch(`${fake.url}/v1/messages/count_tokens`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'abcdefgh' }] }) });
    expect(await count.json()).toEqual({ input_tokens: 2 });
    const nf = await fetch(`${fake.url}/v1/models`);
    expect(nf.status).toBe(404);
    expect((await nf.json()).type).toBe('error');
    expect(fake.messageRequests()).toHaveLength(0);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0, logLevel: 'off' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setHandler(() => ({ text: 'streamed text from the fake backend' }));
  });

  it('streams chat-completion chunks with a usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed text from the fake backend');
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThan(3);
    expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 9, total_tokens: 10 });
    expect(fake.chatRequests()[0].path).toBe('/v1/chat/completions');
  });

  it('returns OpenAI-shaped errors with x-request-id', async () => {
    fake.setHandler(() => ({ status: 401, message: 'Incorrect API key provided', errorType: 'invalid_request_error', code: 'invalid_api_key' }));
    const err = (await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
    expect(err.requestID).toMatch(/^req_fake_oa_/);
  });

  it('serves deterministic embeddings, as floats or base64', async () => {
    const res = await client.embeddings.create({ model: 'nomic-embed-text', input: ['a', 'b', 'a'] });
    expect(res.data).toHaveLength(3);
    expect(res.data[0].embedding).toHaveLength(8);
    expect(res.data[0].embedding).toEqual(res.data[2].embedding);
    expect(res.data[0].embedding).not.toEqual(res.data[1].embedding);
    expect(Math.hypot(...res.data[0].embedding)).toBeCloseTo(1, 5);
    const floats = await client.embeddings.create({ model: 'm', input: 'a', encoding_format: 'float' });
    expect(floats.data[0].embedding[0]).toBeCloseTo(res.data[0].embedding[0], 5);
  });
});
