// Health, queue, logs, settings/credentials, import/export and restart endpoints.
import { Hono } from 'hono';
import { describeCredentialSources, envValueWarnings, EnvValidationError, saveClaudeMemEnv } from '../../config/EnvManager.js';
import { tailLog } from '../../config/logger.js';
import { workerErrorLogPath, workerLogPath } from '../../config/paths.js';
import {
  SECRET_SETTINGS_KEYS,
  SETTINGS_DESCRIPTIONS,
  SETTINGS_KINDS,
  SettingsFileError,
  SettingsValidationError,
  loadSettings,
  publicSettings,
  updateSettingsFromViewer,
} from '../../config/SettingsManager.js';
import { parseJsonBody, parseQuery } from '../http.js';
import { exportMemory, importMemory, liveImportedIds } from '../../store/importExport.js';
import { parseEdgeQuery, routeId } from '../edge.js';
import { credentialsBody, exportQuery, importBody, logsQuery, settingsBody } from '../../api/schemas.js';
import type { CredentialsResponse, HealthResponse, LogsResponse, QueueResponse, SettingsResponse } from '../../api/types.js';
import type { WorkerDeps } from '../WorkerDeps.js';
import { projectScope } from '../../recall/contextService.js';
import { createLogger } from '../../config/logger.js';
import { requestScope } from '../auth.js';

/** Loopback spellings a worker may bind to when the change comes over HTTP (issue 16, point 4). */
const LOOPBACK_HOST = /^(?:127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;
/** Settings that decide where credentials go or what they are: changes are logged by name. */
const SENSITIVE_SETTING = /_API_KEY$|_BASE_URL$|^CLAUDE_MEM_DATABASE_URL$|^CLAUDE_MEM_WORKER_HOST$|^CLAUDE_MEM_PROVIDER$/;

export function adminRoutes(deps: WorkerDeps): Hono {
  const app = new Hono();
  const { store } = deps;
  const audit = createLogger('audit');

  app.get('/api/health', async (c) => {
    // Anyone may ask whether a worker is up; only the user learns more (pid, errors, endpoints).
    if (requestScope(c) !== 'full') return c.json({ status: 'ok', version: deps.version, authRequired: true });
    const agent = await deps.agentStatus();
    const health: HealthResponse = {
      status: 'ok',
      pid: process.pid,
      instance: deps.instance ?? '',
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      queueDepth: await store.queue.depth(),
      deadLetters: await store.queue.deadCount(),
      provider: agent.provider,
      model: agent.model,
      baseUrlHost: agent.baseUrlHost,
      baseUrl: agent.baseUrl,
      outage: agent.outage,
      lastError: agent.lastError,
      paused: agent.paused,
      budget: agent.budget,
      embeddings: deps.embeddings?.status() ?? null,
    };
    return c.json(health);
  });

  app.get('/api/queue', async (c) => {
    const queue: QueueResponse = {
      depth: await store.queue.depth(),
      pending: await store.queue.pending(100),
      deadLetters: await store.queue.deadLetters(100),
    };
    return c.json(queue);
  });

  app.post('/api/queue/dead/:id/retry', async (c) => {
    const id = routeId(c, 'id', 'a dead-letter id');
    if (!(await store.queue.retryDead(id))) return c.json({ error: `dead-lettered event ${id} not found` }, 404);
    deps.wakeAgent();
    return c.json({ status: 'requeued', id });
  });

  app.get('/api/logs', (c) => {
    const q = parseQuery(c, logsQuery);
    const body: LogsResponse = { lines: tailLog(q.file === 'error' ? workerErrorLogPath() : workerLogPath(), q.lines) };
    return c.json(body);
  });

  app.get('/api/settings', (c) => {
    const loaded = loadSettings({ createIfMissing: false });
    const body: SettingsResponse = {
      settings: publicSettings(loaded.settings),
      descriptions: SETTINGS_DESCRIPTIONS,
      // Allowed values and ranges, so the viewer offers choices instead of free text.
      kinds: SETTINGS_KINDS,
      secretKeys: SECRET_SETTINGS_KEYS,
      credentials: Object.fromEntries(
        describeCredentialSources({ autodetect: loaded.settings.CLAUDE_MEM_AUTODETECT_CLAUDE_CODE_ENV === 'true' }).credentials.map(
          (d) => [d.key, { set: d.set, source: d.source }],
        ),
      ),
      issues: loaded.errors,
    };
    return c.json(body);
  });

  app.post('/api/settings', async (c) => {
    const body = await parseJsonBody(c, settingsBody);
    // Exposing the worker beyond this machine is a decision made in the file, never over HTTP.
    const host = (body as Record<string, unknown>).CLAUDE_MEM_WORKER_HOST;
    if (typeof host === 'string' && !LOOPBACK_HOST.test(host.trim())) {
      const message = `CLAUDE_MEM_WORKER_HOST: only a loopback address (127.0.0.1, ::1, localhost) can be set over HTTP; a network-facing address exposes all memory and must be written in settings.json by hand.`;
      audit.warn('Refused a non-loopback CLAUDE_MEM_WORKER_HOST over HTTP');
      return c.json({ error: message, fields: { CLAUDE_MEM_WORKER_HOST: message } }, 400);
    }
    const sensitive = Object.keys(body as object).filter((k) => SENSITIVE_SETTING.test(k));
    if (sensitive.length) audit.info(`Settings changed over HTTP: ${sensitive.join(', ')} (values not logged)`);
    try {
      const result = updateSettingsFromViewer(body, deps.settings());
      deps.reloadSettings();
      return c.json(result);
    } catch (err) {
      if (err instanceof SettingsValidationError) {
        const fields = Object.fromEntries(err.issues.map((i) => [i.key, i.message]));
        return c.json({ error: err.message, fields }, 400);
      }
      if (err instanceof SettingsFileError) return c.json({ error: err.message }, 409);
      throw err;
    }
  });

  app.post('/api/credentials', async (c) => {
    const body = await parseJsonBody(c, credentialsBody);
    try {
      saveClaudeMemEnv(body);
      audit.info(`Credentials changed over HTTP: ${Object.keys(body).join(', ')} (values not logged)`);
    } catch (err) {
      // A value the .env format cannot hold (e.g. a NUL byte): the client's to fix, not a 500.
      if (err instanceof EnvValidationError) return c.json({ error: err.message, fields: { [err.key]: err.message } }, 400);
      throw err;
    }
    // Credentials are read when a session starts; a restart applies them everywhere.
    const warnings = Object.entries(body).flatMap(([k, v]) => envValueWarnings(k, v));
    const saved: CredentialsResponse = { saved: Object.keys(body), restartRequired: true, warnings };
    return c.json(saved);
  });

  app.post('/api/import', async (c) => {
    const body = await parseJsonBody(c, importBody);
    const result = await importMemory(store, body);
    // Live viewers show newly imported observations like captured ones (a bulk restore: a reload).
    const live = liveImportedIds(result);
    if (live.length) for (const o of await store.sessions.getObservations(live)) deps.bus.emit('observation', o);
    deps.bus.emit('status', { imported: result.observations.imported });
    return c.json(result);
  });

  app.get('/api/export', async (c) => {
    const { project } = parseEdgeQuery(c, exportQuery);
    return c.json(await exportMemory(store, project ? projectScope({ project }).projects : undefined));
  });

  app.post('/api/worker/restart', (c) => {
    setTimeout(deps.requestRestart, 50);
    return c.json({ status: 'restarting' }, 202);
  });

  return app;
}
