import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, getLogLevel, setLogLevel, tailLog } from '../../src/shared/logger.js';
import { workerErrorLogPath, workerLogPath } from '../../src/shared/paths.js';

let dir: string;
const savedDataDir = process.env.CLAUDE_MEM_DATA_DIR;
const savedStderr = process.env.CLAUDE_MEM_LOG_STDERR;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-log-'));
  process.env.CLAUDE_MEM_DATA_DIR = dir;
  delete process.env.CLAUDE_MEM_LOG_STDERR;
  setLogLevel('INFO');
});

afterEach(() => {
  if (savedDataDir === undefined) delete process.env.CLAUDE_MEM_DATA_DIR;
  else process.env.CLAUDE_MEM_DATA_DIR = savedDataDir;
  if (savedStderr === undefined) delete process.env.CLAUDE_MEM_LOG_STDERR;
  else process.env.CLAUDE_MEM_LOG_STDERR = savedStderr;
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (p: string): string => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');

describe('logger', () => {
  it('writes formatted lines to worker.log, errors also to worker-error.log', () => {
    const log = createLogger('agent');
    log.info('Starting SDK query', { provider: 'claude', model: 'glm-4.7', note: 'two words', n: 3, missing: undefined });
    log.error('400 invalid_request_error: model not found', { requestId: 'req_1' });
    const lines = read(workerLogPath()).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \[agent\] Starting SDK query provider=claude model=glm-4.7 note="two words" n=3$/,
    );
    expect(lines[1]).toMatch(/ERROR \[agent\] 400 invalid_request_error: model not found requestId=req_1$/);
    const errLines = read(workerErrorLogPath()).trimEnd().split('\n');
    expect(errLines).toEqual([lines[1]]);
  });

  it('respects the level; SILENT writes nothing', () => {
    const log = createLogger('x');
    log.debug('hidden at INFO');
    setLogLevel('DEBUG');
    log.debug('shown at DEBUG');
    setLogLevel('loud'); // unknown: ignored
    expect(getLogLevel()).toBe('DEBUG');
    setLogLevel('WARN');
    log.info('hidden at WARN');
    log.warn('shown at WARN');
    const text = read(workerLogPath());
    expect(text).not.toContain('hidden');
    expect(text).toContain('shown at DEBUG');
    expect(text).toContain('shown at WARN');
    fs.rmSync(path.join(dir, 'logs'), { recursive: true });
    setLogLevel('SILENT');
    log.error('nothing');
    expect(fs.existsSync(workerLogPath())).toBe(false);
    expect(fs.existsSync(workerErrorLogPath())).toBe(false);
  });

  it('never lets a planted key reach either log file', () => {
    const key = 'sk-ant-api03-' + 'Zx9'.repeat(30) + '-AAAA';
    const log = createLogger('provider');
    log.error(`401 authentication_error: invalid x-api-key ${key}`, { headers: { 'x-api-key': key, authorization: `Bearer ${key}` }, apiKey: key });
    log.info(`env ANTHROPIC_API_KEY=${key}`);
    const all = read(workerLogPath()) + read(workerErrorLogPath());
    expect(all).toContain('401 authentication_error: invalid x-api-key');
    expect(all).toContain('[REDACTED]');
    expect(all).not.toContain(key);
    expect(all).not.toContain('Zx9Zx9Zx9');
  });

  it('mirrors to stderr when CLAUDE_MEM_LOG_STDERR=1', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    createLogger('c').info('quiet');
    expect(spy).not.toHaveBeenCalled();
    process.env.CLAUDE_MEM_LOG_STDERR = '1';
    createLogger('c').info('loud');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0][0])).toMatch(/INFO \[c\] loud\n$/);
  });

  it('does not throw when the log cannot be written', () => {
    fs.writeFileSync(path.join(dir, 'logs'), 'a file where the directory should be');
    expect(() => createLogger('c').error('still fine')).not.toThrow();
  });
});

describe('tailLog', () => {
  it('returns the last N lines of a file larger than one read chunk', () => {
    const f = path.join(dir, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
    fs.writeFileSync(f, lines.join('\n') + '\n');
    expect(tailLog(f, 3)).toEqual(lines.slice(-3));
    expect(tailLog(f, 5000)).toEqual(lines.slice(-5000));
    expect(tailLog(f, 50_000)).toEqual(lines);
  });

  it('handles no trailing newline, empty and missing files', () => {
    const f = path.join(dir, 'small.log');
    fs.writeFileSync(f, 'a\nb\nc');
    expect(tailLog(f, 2)).toEqual(['b', 'c']);
    fs.writeFileSync(f, '');
    expect(tailLog(f, 2)).toEqual([]);
    expect(tailLog(path.join(dir, 'missing.log'), 2)).toEqual([]);
    expect(tailLog(f, 0)).toEqual([]);
  });
});
