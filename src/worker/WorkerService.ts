// The worker: HTTP app, store, memory agent and their life cycle (lock, pid file, shutdown).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { createLogger, setLogLevel } from '../config/logger.js';
import { dataDir, dbPath, ensureDataDir, envFilePath, lockFilePath, pidFilePath } from '../config/paths.js';
import { writeFileAtomic } from '../lib/fsutil.js';
import { getBool, loadSettings, type Settings } from '../config/SettingsManager.js';
import { buildIsolatedEnv } from '../config/EnvManager.js';
import { createEmbeddings } from '../embeddings/EmbeddingService.js';
import { openConfiguredStore } from '../store/openStore.js';
import { sqlitePart } from '../store/sqlite/SqliteStore.js';
import type { Store } from '../store/Store.js';
import { EventBus } from '../lib/EventBus.js';
import { loopbackGuard } from './http.js';
import { secretFilter } from './secretFilter.js';
import { AuthState, authGuard, authRoutes } from './auth.js';
import { acquireWorkerLock, isAlive, ownership, portHolder, readRecord } from './lock.js';
import { MemoryAgent } from '../agent/MemoryAgent.js';
import type { Provider } from '../agent/providers/providers.js';
import { adminRoutes } from './routes/admin.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { memoryRoutes } from './routes/memory.js';
import { recallRoutes } from './routes/recall.js';
import { sessionRoutes } from './routes/sessions.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';
import { uiRoutes } from './routes/ui.js';
import { SessionService } from '../capture/SessionService.js';
import { repairEnvFileMode } from './startupChecks.js';
import { dataDirStartError, describeStorageError } from './storageErrors.js';
import type { WorkerDeps } from './WorkerDeps.js';

declare const __CLAUDE_MEM_VERSION__: string;
export const VERSION = typeof __CLAUDE_MEM_VERSION__ === 'string' ? __CLAUDE_MEM_VERSION__ : '0.0.0-dev';

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

/** worker.pid: where the worker listens, and what proves a process is this worker (see lock.ts). */
export interface PidInfo {
  pid: number;
  port: number;
  host: string;
  startedAt: string;
  version: string;
  /** /proc start time of the worker process (null without /proc). */
  startTime: number | null;
  /** Per-start random id; /api/health answers it as `instance`. */
  nonce: string;
}

export function readPidFile(): PidInfo | null {
  try {
    return JSON.parse(fs.readFileSync(pidFilePath(), 'utf8')) as PidInfo;
  } catch {
    return null;
  }
}

export function createApp(deps: WorkerDeps, allowedHosts: string[] = [], auth?: AuthState): Hono {
  const log = createLogger('http');
  const app = new Hono();
  app.use('*', loopbackGuard(allowedHosts));
  // After the Host/Origin checks (a foreign page is refused before any credential is looked at).
  if (auth) app.use('*', authGuard(auth));
  app.use('*', secretFilter());
  app.use('*', async (c, next) => {
    const limit = c.req.path === '/api/import' ? MAX_IMPORT_BYTES : MAX_BODY_BYTES;
    return bodyLimit({
      maxSize: limit,
      onError: (cx) => cx.json({ error: `body: larger than ${limit} bytes; send less (tool outputs are truncated by the hooks)` }, 413),
    })(c, next);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
    const storage = describeStorageError(err, dataDir());
    if (storage) {
      log.error(`Storage error in request: ${storage.message}`, { path: c.req.path });
      if (storage.retryAfter) c.header('Retry-After', String(storage.retryAfter));
      return c.json({ error: storage.message }, storage.status);
    }
    log.error('Unhandled error in request', { path: c.req.path, error: err });
    return c.json({ error: `internal error: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.route('/', sessionRoutes(deps));
  app.route('/', recallRoutes(deps));
  app.route('/', adminRoutes(deps));
  app.route('/', embeddingRoutes(deps));
  app.route('/', memoryRoutes(deps));
  app.route('/', statsRoutes(deps));
  app.route('/', streamRoutes(deps));
  if (auth) app.route('/', authRoutes(auth));
  app.route('/', uiRoutes(deps));
  return app;
}

/** The isolated env for the embedder; an unreadable .env is logged (the agent reports it too). */
function embeddingsEnv(settings: Settings, log: ReturnType<typeof createLogger>): Record<string, string> {
  try {
    return buildIsolatedEnv({ autodetect: getBool(settings, 'CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV') });
  } catch (err) {
    log.warn(`Embeddings start without .env credentials: ${err instanceof Error ? err.message : String(err)}`);
    return {};
  }
}

/**
 * Requests Node's HTTP parser rejects (oversized headers, broken request lines) never reach hono;
 * answer them in the same JSON shape as every other error, and drain the rest of the request so
 * closing the socket does not reset the connection before the client reads the answer.
 */
function answerMalformedRequest(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = JSON.stringify({
    error: tooLarge
      ? 'request line and headers are larger than 256 KB; send a shorter query'
      : `malformed HTTP request (${err.code ?? 'parse error'})`,
  });
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), 5000).unref();
}

export interface StartOptions {
  uiDir: string;
  /** Overrides CLAUDE_MEM_WORKER_PORT (0 = any free port). */
  port?: number;
  providerFactory?: (settings: Settings, env: Record<string, string>) => Provider;
  /** Called when the viewer asks for a restart. */
  onRestartRequested?: () => void;
}

export type StartResult =
  | {
      status: 'running';
      port: number;
      host: string;
      stop: () => Promise<void>;
      /** Removes worker.pid and worker.lock now (if still ours), for an exit that cannot wait for stop(). */
      releaseFiles: () => void;
      store: Store;
      agent: MemoryAgent;
    }
  | { status: 'already-running'; pid: number; port: number | null };

export async function startWorker(opts: StartOptions): Promise<StartResult> {
  try {
    ensureDataDir();
    // An existing but read-only dir passes ensureDataDir and would only fail later, obscurely.
    fs.accessSync(dataDir(), fs.constants.W_OK);
  } catch (err) {
    throw dataDirStartError(err, dataDir(), (p) => fs.accessSync(p, fs.constants.W_OK));
  }
  const log = createLogger('worker');
  let loaded = loadSettings();
  setLogLevel(loaded.settings.CLAUDE_MEM_LOG_LEVEL);
  for (const issue of loaded.errors) log.warn(`Settings: ${issue.message}`);
  repairEnvFileMode(envFilePath(), log);

  const lock = acquireWorkerLock();
  if (!lock.acquired) {
    const owner = lock.owner;
    if (!owner) throw new Error(`could not take ${lockFilePath()}: it kept changing under us; another worker may be starting — try again`);
    // The owner records its port once it listens; when both started at the same moment that is
    // a moment from now, so wait briefly to be able to say where it is.
    const portOf = (): number | null => {
      const pid = readPidFile();
      if (pid?.pid === owner.pid) return pid.port;
      const cur = readRecord(lockFilePath());
      return cur.kind === 'record' && cur.rec.pid === owner.pid ? cur.rec.port : null;
    };
    let port = portOf();
    for (let waited = 0; port === null && waited < 3000 && ownership(owner) === 'ours'; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      port = portOf();
    }
    return { status: 'already-running', pid: owner.pid, port };
  }

  let store: Store;
  try {
    store = await openConfiguredStore(loaded.settings);
  } catch (err) {
    lock.release();
    throw err;
  }
  const bus = new EventBus();
  const settings = () => loaded.settings;
  const workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const agent = new MemoryAgent({
    store,
    bus,
    settings,
    workerId,
    log: createLogger('agent'),
    providerFactory: opts.providerFactory,
    retryBaseMs: process.env.CLAUDE_MEM_RETRY_BASE_MS ? Number(process.env.CLAUDE_MEM_RETRY_BASE_MS) : undefined,
  });
  // Optional vectors (CLAUDE_MEM_EMBEDDINGS): failures here only ever leave keyword search on.
  const embeddings = createEmbeddings({
    // Vectors live in the local SQLite store (every configuration has one, team mode included).
    store: sqlitePart(store)!,
    bus,
    settings: loaded.settings,
    env: embeddingsEnv(loaded.settings, log),
    log: createLogger('embeddings'),
  });
  const startedAt = Date.now();
  const deps: WorkerDeps = {
    store,
    bus,
    sessions: new SessionService(store, bus, settings),
    settings,
    reloadSettings: () => {
      loaded = loadSettings({ createIfMissing: false });
      setLogLevel(loaded.settings.CLAUDE_MEM_LOG_LEVEL);
    },
    agentStatus: () => agent.status(),
    wakeAgent: () => agent.wake(),
    version: VERSION,
    startedAt,
    requestRestart: () => opts.onRestartRequested?.(),
    instance: lock.record.nonce,
    uiDir: opts.uiDir,
    embeddings,
  };

  const host = loaded.settings.CLAUDE_MEM_WORKER_HOST;
  const port = opts.port ?? Number(loaded.settings.CLAUDE_MEM_WORKER_PORT);
  // The per-user secret (auth.ts): created on first start, required on every route but health.
  const auth = new AuthState(dataDir());
  if (process.env.CLAUDE_MEM_AUTH !== undefined) {
    log.warn('CLAUDE_MEM_AUTH is no longer read: the worker token is always required (see SECURITY.md; `claude-mem open` logs the viewer in)');
  }
  const app = createApp(deps, host === '0.0.0.0' || host === '::' ? [] : [host], auth);

  let server: Server;
  let boundPort: number;
  try {
    ({ server, port: boundPort } = await new Promise<{ server: Server; port: number }>((resolve, reject) => {
      // Long search queries travel in the URL: allow more than Node's default 16 KB of headers.
      const s = serve({ fetch: app.fetch, port, hostname: host, serverOptions: { maxHeaderSize: 256 * 1024 } }, (info) => resolve({ server: s as Server, port: info.port }));
      (s as Server).once('error', reject);
    }));
  } catch (err) {
    await store.close();
    lock.release();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      const holder = portHolder(port);
      const who = holder ? `pid ${holder.pid}${holder.name ? ` (${holder.name})` : ''}` : 'another program';
      throw new Error(
        `Port ${port} on ${host} is already in use by ${who}. Stop it, or set CLAUDE_MEM_WORKER_PORT in settings.json to a free port.`,
      );
    }
    throw err;
  }
  // Keep-alive sockets must not hold shutdown open.
  server.keepAliveTimeout = 5000;
  server.on('clientError', answerMalformedRequest);

  const pidInfo: PidInfo = {
    pid: process.pid,
    port: boundPort,
    host,
    startedAt: new Date(startedAt).toISOString(),
    version: VERSION,
    startTime: lock.record.startTime,
    nonce: lock.record.nonce,
  };
  writeFileAtomic(pidFilePath(), JSON.stringify(pidInfo), 0o600);
  lock.setPort(boundPort);
  agent.start();
  embeddings.start();
  log.info('Worker started', { pid: process.pid, host, port: boundPort, version: VERSION, db: dbPath() });

  const releaseFiles = () => {
    if (readPidFile()?.nonce === lock.record.nonce) fs.rmSync(pidFilePath(), { force: true });
    lock.release();
  };
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('Worker stopping');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await agent.stop();
      await embeddings.stop();
      await store.close();
      releaseFiles();
      log.info('Worker stopped');
    })());

  return { status: 'running', port: boundPort, host, stop, releaseFiles, store, agent };
}

export { isAlive };
