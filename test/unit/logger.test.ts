import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, getLogLevel, setLogLevel, setLogRotation, setStderrEcho, tailLog } from '../../src/config/logger.js';
import { workerErrorLogPath, workerLogPath } from '../../src/config/paths.js';

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
  setLogRotation();
  setStderrEcho(null);
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

describe('log rotation', () => {
  const lineOf = (i: number) => `entry ${String(i).padStart(4, '0')} ${'x'.repeat(60)}`;

  it('caps each file: past the size it becomes .1, older ones shift, only `keep` are kept', () => {
    setLogRotation({ maxBytes: 2000, keep: 2 });
    const log = createLogger('r');
    for (let i = 0; i < 200; i++) log.info(lineOf(i));
    const files = fs.readdirSync(path.join(dir, 'logs')).sort();
    expect(files).toEqual(['worker.log', 'worker.log.1', 'worker.log.2']);
    for (const f of files) expect(fs.statSync(path.join(dir, 'logs', f)).size).toBeLessThanOrEqual(2000);
    // Nothing is lost or duplicated inside what is kept, and the newest lines are in worker.log.
    const kept = ['worker.log.2', 'worker.log.1', 'worker.log']
      .flatMap((f) => read(path.join(dir, 'logs', f)).trimEnd().split('\n'))
      .map((l) => Number(/entry (\d+)/.exec(l)![1]));
    expect(kept[kept.length - 1]).toBe(199);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 200 - kept.length + i));
    // Rotated files are full: rotation happens only when the next line would not fit.
    const lineBytes = Buffer.byteLength(read(workerLogPath()).split('\n')[0]) + 1;
    for (const f of ['worker.log.1', 'worker.log.2']) expect(fs.statSync(path.join(dir, 'logs', f)).size).toBeGreaterThan(2000 - lineBytes);
  });

  it('worker-error.log rotates on its own size, independently of worker.log', () => {
    setLogRotation({ maxBytes: 1500, keep: 1 });
    const log = createLogger('r');
    for (let i = 0; i < 5; i++) log.error(lineOf(i));
    for (let i = 0; i < 100; i++) log.info(lineOf(i));
    expect(fs.existsSync(workerErrorLogPath() + '.1')).toBe(false);
    expect(read(workerErrorLogPath()).trimEnd().split('\n')).toHaveLength(5);
    expect(fs.existsSync(workerLogPath() + '.1')).toBe(true);
    expect(fs.existsSync(workerLogPath() + '.2')).toBe(false);
  });

  it('sees what other processes appended: rotates by the size on disk, not only its own count', () => {
    setLogRotation({ maxBytes: 1000, keep: 3 });
    const log = createLogger('r');
    log.info('first');
    // Another process (a CLI-spawned worker's stdout, a hook) wrote a lot meanwhile.
    fs.appendFileSync(workerLogPath(), 'y'.repeat(990) + '\n');
    // Our own count is small, so this line goes in; once the count passes the cap the size on
    // disk is checked and the file rotated.
    for (let i = 0; i < 12; i++) log.info(lineOf(i));
    expect(read(workerLogPath() + '.1')).toContain('y'.repeat(990));
    expect(fs.statSync(workerLogPath()).size).toBeLessThanOrEqual(1000);
  });

  it('another process rotated first: no second rotation of the fresh file', () => {
    setLogRotation({ maxBytes: 1000, keep: 3 });
    const log = createLogger('r');
    for (let i = 0; i < 9; i++) log.info(lineOf(i)); // ~900 bytes, count near the cap
    fs.renameSync(workerLogPath(), workerLogPath() + '.1'); // the other process rotated
    log.info(lineOf(9));
    log.info(lineOf(10));
    expect(fs.existsSync(workerLogPath() + '.2')).toBe(false);
    expect(read(workerLogPath()).trimEnd().split('\n')).toHaveLength(2);
  });

  it('rejects a bad configuration, naming the field', () => {
    expect(() => setLogRotation({ maxBytes: 0, keep: 1 })).toThrow(/maxBytes/);
    expect(() => setLogRotation({ maxBytes: 10, keep: -1 })).toThrow(/keep/);
  });
});

describe('stderr echo (worker in the foreground)', () => {
  it('echoes WARN and ERROR only, and still writes every line to the file', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    setStderrEcho('WARN');
    const log = createLogger('agent');
    log.info('routine');
    log.warn('Settings: CLAUDE_MEM_PORT is not a number');
    log.error('Memory agent paused: fix the configuration');
    const echoed = spy.mock.calls.map((c) => String(c[0]));
    expect(echoed).toHaveLength(2);
    expect(echoed[0]).toMatch(/WARN \[agent\] Settings: /);
    expect(echoed[1]).toMatch(/ERROR \[agent\] Memory agent paused/);
    expect(read(workerLogPath())).toMatch(/routine[\s\S]*Settings[\s\S]*paused/);
    setStderrEcho(null);
    log.error('quiet again');
    expect(spy).toHaveBeenCalledTimes(2);
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
