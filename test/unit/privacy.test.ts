import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEntirelyPrivate, isExcludedProject, matchesGlob, redactDeep, shouldSkipTool, stripContextTags, stripPrivate } from '../../src/capture/privacy.js';
import { isSecretName, redactSecrets } from '../../src/lib/redact.js';
import { isOwnMcpTool, isOwnToolCall, runsOwnCli } from '../../src/capture/ownTools.js';

describe('stripPrivate', () => {
  it('removes private regions, multiline and case-insensitive', () => {
    expect(stripPrivate('a <private>secret</private> b')).toBe('a  b');
    expect(stripPrivate('a <PRIVATE>x\ny\nz</Private> b <private>2</private>c')).toBe('a  b c');
    expect(stripPrivate('no tags here')).toBe('no tags here');
  });

  it('treats an unclosed tag as private to the end, and handles nesting', () => {
    expect(stripPrivate('keep <private>everything after\nthis')).toBe('keep ');
    expect(stripPrivate('a<private>b<private>c</private>d</private>e')).toBe('ae');
    expect(stripPrivate('a</private>b')).toBe('ab');
  });

  it('isEntirelyPrivate', () => {
    expect(isEntirelyPrivate('  <private>my password is x</private>\n')).toBe(true);
    expect(isEntirelyPrivate('<private>a</private> but this is public')).toBe(false);
    expect(isEntirelyPrivate('')).toBe(false);
    expect(isEntirelyPrivate('plain prompt')).toBe(false);
  });
});

describe('stripContextTags', () => {
  it('removes injected context so it is never re-memorised', () => {
    const text = 'before\n<claude-mem-context>\n# Recent memory\n12 10:00 fix\n</claude-mem-context>\nafter';
    expect(stripContextTags(text)).toBe('before\n\nafter');
    expect(stripContextTags('x <claude-mem-context>unclosed')).toBe('x ');
  });
});

describe('redactSecrets', () => {
  const cases: [string, string, string][] = [
    ['Anthropic key', 'key sk-ant-api03-AbCdEf0123456789AbCdEf0123456789-xyz done', 'key [REDACTED] done'],
    ['OpenAI project key', 'sk-proj-abcdefghij0123456789ABCDEFGHIJ', '[REDACTED]'],
    ['OpenAI key', 'use sk-abcdefghij0123456789ABCD now', 'use [REDACTED] now'],
    ['GitHub classic', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '[REDACTED]'],
    ['GitHub OAuth', 'gho_abcdefghijklmnopqrstuvwxyz0123456789', '[REDACTED]'],
    ['GitHub fine-grained', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '[REDACTED]'],
    ['Slack', 'xoxb-123456789012-abcdefghijkl', '[REDACTED]'],
    ['Slack user', 'xoxp-123456789012-abcdefghijkl', '[REDACTED]'],
    ['AWS access key id', 'id AKIAIOSFODNN7EXAMPLE.', 'id [REDACTED].'],
    ['Google', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', '[REDACTED]'],
    [
      'JWT',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'jwt [REDACTED] end',
    ],
    ['Bearer', 'Authorization: Bearer abc.DEF_123-456789xyz', 'Authorization: Bearer [REDACTED]'],
    ['Basic auth header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [REDACTED]'],
    ['PEM block', 'x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\ny', 'x\n[REDACTED]\ny'],
    ['env assignment', 'export DB_PASSWORD=hunter2', 'export DB_PASSWORD=[REDACTED]'],
    ['env quoted', 'API_KEY="abc def"', 'API_KEY="[REDACTED]"'],
    ['YAML', 'client_secret: s3cr3t-value', 'client_secret: [REDACTED]'],
    ['JSON camelCase', '{"apiKey": "abc123", "name": "x"}', '{"apiKey": "[REDACTED]", "name": "x"}'],
    ['JSON inside a string', '{\\"accessToken\\":\\"abc123\\"}', '{\\"accessToken\\":\\"[REDACTED]\\"}'],
    ['query string', 'GET /cb?token=abc123&state=1', 'GET /cb?token=[REDACTED]&state=1'],
    ['URL credentials', 'postgres://app:p4ssw0rd@db:5432/x', 'postgres://app:[REDACTED]@db:5432/x'],
    ['secret= assignment', 'secret=topsecret', 'secret=[REDACTED]'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text, counters and placeholders alone', () => {
    const keep = [
      'max_tokens=1024 input_tokens: 20 cache_read_tokens=0',
      'Bearer authentication is configured in the gateway',
      'if token == "abc" {',
      'const password: string = read()',
      'password=${DB_PASSWORD}',
      'PWD=/home/u/project',
      'npm install scikit-learn; ask-the-user; task-1234567890-abcdefgh',
      'http://localhost:8080/path@v2',
      'apiKey: process.env.OPENAI_API_KEY',
    ];
    for (const s of keep) expect(redactSecrets(s)).toBe(s);
  });

  it('is idempotent', () => {
    const once = redactSecrets('token="abc" sk-ant-api03-AbCdEf0123456789AbCdEf Bearer abcdef1234567890');
    expect(redactSecrets(once)).toBe(once);
  });

  it('stays fast on large token-free blobs', () => {
    const blob = 'A'.repeat(500_000) + ' ' + 'x_token_'.repeat(50_000);
    expect(redactSecrets(blob)).toBe(blob);
  });
});

describe('redactDeep', () => {
  it('cleans every string in a JSON value and keeps keys', () => {
    const input = {
      command: 'curl -H "x-api-key: sk-ant-api03-AbCdEf0123456789AbCdEf" https://x',
      env: { GITHUB_TOKEN: 'plain-looking-value', PATH: '/bin', max_tokens: 100, password: '' },
      notes: ['<private>do not store</private>kept', '<claude-mem-context>old memory</claude-mem-context>'],
      n: 3,
      ok: true,
      nothing: null,
    };
    expect(redactDeep(input)).toEqual({
      command: 'curl -H "x-api-key: [REDACTED]" https://x',
      env: { GITHUB_TOKEN: '[REDACTED]', PATH: '/bin', max_tokens: 100, password: '' },
      notes: ['kept', ''],
      n: 3,
      ok: true,
      nothing: null,
    });
    expect(input.env.GITHUB_TOKEN).toBe('plain-looking-value'); // input untouched
    expect(redactDeep('sk-ant-api03-AbCdEf0123456789AbCdEf')).toBe('[REDACTED]');
  });

  it('isSecretName', () => {
    expect(isSecretName('apiKey')).toBe(true);
    expect(isSecretName('OPENAI_API_KEY')).toBe(true);
    expect(isSecretName('password')).toBe(true);
    expect(isSecretName('max_tokens')).toBe(false);
    expect(isSecretName('author')).toBe(false);
  });
});

describe('globs and exclusions', () => {
  it('matchesGlob', () => {
    expect(matchesGlob('*', 'proj')).toBe(true);
    expect(matchesGlob('*', 'a/b')).toBe(false);
    expect(matchesGlob('/work/**', '/work/a/b/c')).toBe(true);
    expect(matchesGlob('/work/*', '/work/a/b')).toBe(false);
    expect(matchesGlob('/work/**/secret', '/work/secret')).toBe(true);
    expect(matchesGlob('client-?', 'client-a')).toBe(true);
    expect(matchesGlob('client-?', 'client-ab')).toBe(false);
    expect(matchesGlob('a.b', 'aXb')).toBe(false);
    expect(matchesGlob('~/secret/*', path.join(os.homedir(), 'secret', 'x'))).toBe(true);
    expect(matchesGlob('/work/p/', '/work/p')).toBe(true);
  });

  it('isExcludedProject matches the cwd, its basename, and directories below a matched path', () => {
    const globs = ' ~/clients/** , scratch-*,/srv/secret';
    expect(isExcludedProject(path.join(os.homedir(), 'clients', 'acme'), globs)).toBe(true);
    expect(isExcludedProject('/tmp/scratch-42', globs)).toBe(true);
    expect(isExcludedProject('/srv/secret', globs)).toBe(true);
    expect(isExcludedProject('/srv/secret/src/lib', globs)).toBe(true);
    expect(isExcludedProject('/srv/public', globs)).toBe(false);
    expect(isExcludedProject('/tmp/my-scratch', globs)).toBe(false);
    expect(isExcludedProject('/anything', '')).toBe(false);
  });

  it('shouldSkipTool', () => {
    const skip = 'ListMcpResourcesTool, SlashCommand,Skill,TodoWrite,AskUserQuestion,mcp__noisy__*';
    expect(shouldSkipTool('TodoWrite', skip)).toBe(true);
    expect(shouldSkipTool('SlashCommand', skip)).toBe(true);
    expect(shouldSkipTool('mcp__noisy__list', skip)).toBe(true);
    expect(shouldSkipTool('Read', skip)).toBe(false);
    expect(shouldSkipTool('todowrite', skip)).toBe(false);
    expect(shouldSkipTool('Read', '')).toBe(false);
  });
});

describe('own tools are never captured', () => {
  it('recognises our MCP tools under the plugin and hand-registered names only', () => {
    expect(isOwnMcpTool('mcp__plugin_claude-mem_mem-search__search')).toBe(true);
    expect(isOwnMcpTool('mcp__plugin_claude-mem_mem-search__get_observations')).toBe(true);
    expect(isOwnMcpTool('mcp__claude-mem__timeline')).toBe(true);
    expect(isOwnMcpTool('mcp__claude_mem__search')).toBe(true);
    // Other servers, including look-alike names, are captured as usual.
    expect(isOwnMcpTool('mcp__claude-mem-extra__search')).toBe(false);
    expect(isOwnMcpTool('mcp__plugin_claude-mem-extra_srv__search')).toBe(false);
    expect(isOwnMcpTool('mcp__github__search_code')).toBe(false);
    expect(isOwnMcpTool('Bash')).toBe(false);
  });

  it.each([
    'claude-mem search foo',
    'cd /work && npx -y claude-mem doctor',
    'node dist/cli/claude-mem.js search "queue"',
    'FOO=1 /usr/local/bin/claude-mem worker status | head -5',
    'echo "$(claude-mem search x)"',
    'pnpm dlx claude-mem@latest search x',
    'npm exec claude-mem -- queue',
    'sudo -E claude-mem worker restart',
    'make build; claude-mem worker restart',
  ])('a Bash command running the CLI is ours: %s', (command) => {
    expect(runsOwnCli(command)).toBe(true);
    expect(isOwnToolCall('Bash', { command, description: 'x' })).toBe(true);
  });

  it.each([
    'grep -rn claude-mem src',
    'cd claude-mem && npm test',
    'git commit -m "claude-mem: fix the queue"',
    'ls ~/.claude-mem',
    'cat node_modules/claude-mem/package.json',
  ])('a command that only mentions claude-mem is captured: %s', (command) => {
    expect(runsOwnCli(command)).toBe(false);
    expect(isOwnToolCall('Bash', { command })).toBe(false);
  });

  it('only the Bash tool carries a command', () => {
    expect(isOwnToolCall('Read', { command: 'claude-mem search x', file_path: '/a' })).toBe(false);
    expect(isOwnToolCall('Bash', null)).toBe(false);
    expect(isOwnToolCall('Bash', { command: 42 })).toBe(false);
  });
});
