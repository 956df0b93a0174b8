// Redaction without gaps (issue 16, point 5): exact configured values whatever their shape, object
// keys, secrets split by truncation, URL userinfo with an @ in the password.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundToJsonSize, boundValue } from '../../src/capture/bound.js';
import { redactDeep } from '../../src/capture/privacy.js';
import { buildIsolatedEnv, saveClaudeMemEnv } from '../../src/config/EnvManager.js';
import { createLogger } from '../../src/config/logger.js';
import { workerErrorLogPath, workerLogPath } from '../../src/config/paths.js';
import { knownSecretCount, REDACTED, redactSecrets, setKnownSecrets } from '../../src/lib/redact.js';
import { truncateMiddle } from '../../src/lib/text.js';

// A corporate gateway key: no prefix, no shape any rule knows. 98 characters.
const CORP_KEY = 'Qx7mPa2LwZ9kRt4VbN8cYh3JfD6sGu1E' + 'oXi5WqMz0TyKe7Rd2PaLs9VnBc4Hj8Uf' + 'Gw6Zt1Xk3MrQy5Na7Db0Ls2Pe9Vc4Jh1Oa8T';
// A shaped key of the same length: the tail of a cut loses the `sk-ant-` prefix the rule needs.
const ANT_KEY = 'sk-ant-api03-' + 'AbCdEfGh0123456789'.repeat(4) + 'ZyXwVuTsRqPoNmLkJi'.slice(0, 13);

afterEach(() => {
  for (const g of ['test', 'env:file', 'env:process', 'env:claude-code', 'settings']) setKnownSecrets(g, []);
});

describe('exact configured values', () => {
  it('redacts a registered value of no recognisable shape, and its encoded forms', () => {
    expect(redactSecrets(`upstream said: invalid key ${CORP_KEY}`)).toContain(CORP_KEY); // shape rules alone miss it
    setKnownSecrets('test', [CORP_KEY]);
    expect(redactSecrets(`upstream said: invalid key ${CORP_KEY}!`)).toBe(`upstream said: invalid key ${REDACTED}!`);
    const withSlash = 'abc/def+ghi=jkl';
    setKnownSecrets('test', [withSlash]);
    expect(redactSecrets(`GET /x?k=${encodeURIComponent(withSlash)}`)).not.toContain(encodeURIComponent(withSlash));
    // Re-registering a group forgets its old value.
    expect(redactSecrets(CORP_KEY)).toBe(CORP_KEY);
  });

  it('ignores values too short or placeholder-like to be told apart from text', () => {
    setKnownSecrets('test', ['abc', 'true', '', null, undefined]);
    expect(knownSecretCount()).toBe(0);
    expect(redactSecrets('abc is true')).toBe('abc is true');
  });

  it('learns the values from .env, the process environment and settings as they are read or saved', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-redact-'));
    try {
      const envFile = path.join(dir, '.env');
      saveClaudeMemEnv({ ANTHROPIC_AUTH_TOKEN: CORP_KEY, ANTHROPIC_BASE_URL: 'https://gw.example.com' }, envFile);
      expect(redactSecrets(`echo ${CORP_KEY}`)).toBe(`echo ${REDACTED}`);
      // The endpoint itself is not secret; only URL userinfo would be.
      expect(redactSecrets('https://gw.example.com/v1')).toBe('https://gw.example.com/v1');
      saveClaudeMemEnv({ ANTHROPIC_AUTH_TOKEN: '' }, envFile);
      expect(redactSecrets(`echo ${CORP_KEY}`)).toBe(`echo ${CORP_KEY}`);
      const shellToken = 'shell-exported-gateway-token-7781';
      buildIsolatedEnv({ baseEnv: { ANTHROPIC_AUTH_TOKEN: shellToken }, autodetect: false, envFile });
      expect(redactSecrets(`token ${shellToken}`)).toBe(`token ${REDACTED}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('object keys', () => {
  it('are redacted like values: shaped keys and registered values', () => {
    setKnownSecrets('test', [CORP_KEY]);
    const out = redactDeep({ [ANT_KEY]: 'v1', [CORP_KEY]: 'v2', plain: { ['ghp_abcdefghijklmnopqrstuvwxyz0123456789']: 1 } });
    const text = JSON.stringify(out);
    expect(text).not.toContain(ANT_KEY.slice(13));
    expect(text).not.toContain(CORP_KEY);
    expect(text).not.toContain('ghp_');
    // Both redacted keys survive, distinct, with their values.
    expect(Object.values(out as Record<string, unknown>).sort()).toEqual(expect.arrayContaining(['v1', 'v2']));
  });

  it('never turn into __proto__', () => {
    const out = redactDeep(JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out.a).toBe(1);
  });
});

describe('truncation', () => {
  /** A long text whose middle cut falls inside the key, leaving `tailChars` of it after the marker. */
  const straddling = (key: string, max: number, tailChars: number): string => {
    const tailLen = max - Math.ceil(max / 2);
    const after = 'y'.repeat(tailLen - tailChars);
    const before = 'x'.repeat(499) + ' ';
    return before + key + after;
  };

  it('a shaped key split by the hook bound keeps no fragment (redaction runs first)', () => {
    const max = 400;
    const text = straddling(ANT_KEY, max, 86);
    expect(truncateMiddle(text, max)).toContain(ANT_KEY.slice(-86)); // the old order leaked this
    const bounded = boundValue(text, max) as string;
    expect(bounded).not.toContain(ANT_KEY.slice(-20));
    expect(bounded).not.toContain(ANT_KEY.slice(0, 20));
    const wide = JSON.stringify(boundToJsonSize({ out: text + 'z'.repeat(300_000) }));
    expect(wide).not.toContain(ANT_KEY.slice(-20));
  });

  it('fragments of a registered value on both sides of a cut made elsewhere are redacted', () => {
    setKnownSecrets('test', [CORP_KEY]);
    // Truncated by a process that did not know the key (the hook): the worker still finds the pieces.
    const cut = truncateMiddle('a'.repeat(60) + CORP_KEY + 'b'.repeat(80), 200);
    // Head keeps the key's first 40 characters, tail its last 20: neither equals the key.
    expect(cut).toContain(CORP_KEY.slice(0, 40) + '\n…[truncated');
    expect(cut).toContain(']…\n' + CORP_KEY.slice(-20));
    const red = redactSecrets(cut);
    for (let i = 0; i + 8 <= CORP_KEY.length; i++) expect(red).not.toContain(CORP_KEY.slice(i, i + 8));
    expect(red).toBe('a'.repeat(60) + REDACTED + cut.slice(100, cut.length - 100) + REDACTED + 'b'.repeat(80));
  });

  it('a <private> tag split by the cut still hides its content', () => {
    const text = 'x'.repeat(195) + '<private>' + 'hidden-words '.repeat(30) + '</private>' + 'tail';
    const bounded = boundValue(text, 300) as string;
    expect(bounded).not.toContain('hidden-words');
  });
});

describe('URL userinfo', () => {
  it.each([
    ['mysql://root:p@ss@w0rd@db.internal:3306/app', 'mysql://root:[REDACTED]@db.internal:3306/app'],
    ['mysql://root:p@ss…@host/db', 'mysql://root:[REDACTED]@host/db'],
    ['git clone https://ghp_abc123tokenvalue@github.com/o/r', 'git clone https://[REDACTED]@github.com/o/r'],
    ['https://user:a%40b@host/x?y=1', 'https://user:[REDACTED]@host/x?y=1'],
    ['http://localhost:8080/path@v2', 'http://localhost:8080/path@v2'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(redactSecrets(expected)).toBe(expected);
  });
});

describe('logger', () => {
  let dir: string;
  const saved = process.env.CLAUDE_MEM_DATA_DIR;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-redact-log-'));
    process.env.CLAUDE_MEM_DATA_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
    else process.env.CLAUDE_MEM_DATA_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an error echoing the configured key reaches neither log', () => {
    setKnownSecrets('test', [CORP_KEY]);
    createLogger('agent').error(`401 from gateway: key ${CORP_KEY} rejected`, { error: new Error(`bad key ${CORP_KEY}`), [CORP_KEY]: 1 });
    for (const file of [workerLogPath(), workerErrorLogPath()]) {
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('401 from gateway');
      expect(text).not.toContain(CORP_KEY);
      expect(text).not.toContain(CORP_KEY.slice(0, 16));
    }
  });
});
