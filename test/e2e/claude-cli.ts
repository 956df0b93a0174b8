// Runs the real Claude Code CLI headless for end-to-end tests (see docs/notes/claude-code-e2e.md).
// The CLI comes from this repository's node_modules at the version pinned in package.json.
// The child gets a clean environment built here — never `...process.env` — so a developer's own
// ANTHROPIC_* / CLAUDE_* variables or config cannot leak into (or out of) a test run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');
const PACKAGE = '@anthropic-ai/claude-code';

/** The only place the CLI is looked for: this repository's node_modules (`npm run e2e:install`). */
export const CLAUDE_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'claude');

/**
 * The Claude Code version the end-to-end test and the hook fixtures are pinned to: package.json
 * `config.claudeCodeTestVersion`, the one value `npm run e2e:install`, .ci/run and README share.
 */
export function pinnedClaudeCodeVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { config?: { claudeCodeTestVersion?: unknown } };
  const v = pkg.config?.claudeCodeTestVersion;
  if (typeof v !== 'string' || !/^\d+\.\d+\.\d+$/.test(v)) {
    throw new Error('package.json config.claudeCodeTestVersion must be an exact version such as "2.1.332" (the Claude Code CLI the end-to-end test pins)');
  }
  return v;
}

function installedVersion(): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', PACKAGE, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

/** Null when the pinned CLI is installed; otherwise what to do, for canRun (test/helpers/requirements.ts). */
export function claudeCliMissing(): string | null {
  const pinned = pinnedClaudeCodeVersion();
  const fix = `run \`npm run e2e:install\` (installs ${PACKAGE}@${pinned} into node_modules without saving it)`;
  const installed = installedVersion();
  if (installed === null) return fix;
  if (installed !== pinned) return `node_modules has ${PACKAGE}@${installed} but the test is pinned to ${pinned}: ${fix}`;
  try {
    fs.accessSync(CLAUDE_BIN, fs.constants.X_OK);
  } catch {
    return `${path.relative(REPO_ROOT, CLAUDE_BIN)} is missing or not executable: ${fix}`;
  }
  return null;
}

export interface ClaudeEnvOptions {
  /** Temp HOME: Claude Code's ~/.claude, ~/.claude.json and transcripts all live under it. */
  home: string;
  /** The fake main-agent API. */
  baseUrl: string;
  /** Added last (e.g. CLAUDE_MEM_DATA_DIR, CLAUDE_MEM_WORKER_PORT); hooks and MCP servers inherit them. */
  extra?: Record<string, string>;
}

/** The whole environment Claude Code is started with. */
export function claudeEnv(opts: ClaudeEnvOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: opts.home,
    // bypassPermissions is refused as root outside a sandbox.
    IS_SANDBOX: '1',
    // Only POST /v1/messages reaches the fake: no hello probe, no title or side requests.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    // Keeps the classic TodoWrite tool set that --tools names.
    CLAUDE_CODE_ENABLE_TASKS: 'false',
    // An API error fails the run at once instead of retrying for a minute.
    CLAUDE_CODE_MAX_RETRIES: '0',
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: 'sk-main-agent-test',
    ...(opts.extra ?? {}),
  };
}

export interface ClaudeRunOptions {
  bin: string;
  cwd: string;
  prompt: string;
  env: Record<string, string>;
  /** Extra CLI arguments (e.g. `--resume <id>`). */
  args?: string[];
  /** `--model`; omitted by default so the run never depends on a model's retirement date. */
  model?: string;
  /** Kill the run after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  timedOut: boolean;
}

export const CLAUDE_TOOLS = 'Bash,Read,Write,Edit,Grep,Glob,TodoWrite';

/** One `claude -p` run; resolves when the process exits (or is killed on timeout). */
export function runClaude(opts: ClaudeRunOptions): Promise<ClaudeRun> {
  const started = Date.now();
  const args = [
    '-p',
    opts.prompt,
    '--permission-mode',
    'bypassPermissions',
    '--tools',
    CLAUDE_TOOLS,
    ...(opts.model ? ['--model', opts.model] : []),
    ...(opts.args ?? []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(opts.bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${opts.bin}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** A readable account of a run for assertion messages. */
export function describeRun(run: ClaudeRun): string {
  return `exit=${run.code} signal=${run.signal} timedOut=${run.timedOut} ms=${run.ms}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
