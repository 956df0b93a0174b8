// A fake Gemini REST backend: `POST <prefix>/v1beta/models/{model}:generateContent`.
import {
  applyFault,
  contentText,
  defaultObservationXml,
  isFault,
  promptChars,
  sendJson,
  startFakeHttp,
  type FakeServerBase,
  type FaultReply,
  type RecordedRequest,
} from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

export type GeminiReply =
  | { text: string; usage?: { promptTokenCount?: number; candidatesTokenCount?: number; cachedContentTokenCount?: number } }
  /** An HTTP error; without `body`, Google's `{error:{code,message,status}}` is built. */
  | { status: number; body?: unknown; message?: string; errorStatus?: string; headers?: Record<string, string> }
  | FaultReply;

export type GeminiHandler = (req: RecordedRequest & { model: string }) => GeminiReply | Promise<GeminiReply>;

export interface FakeGemini extends FakeServerBase {
  setHandler(fn: GeminiHandler): void;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export function geminiErrorBody(status: number, message: string, errorStatus?: string) {
  return { error: { code: status, message, status: errorStatus ?? STATUS_NAMES[status] ?? 'UNKNOWN' } };
}

function lastUserGeminiText(body: any): string {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i]?.role === 'user') return contentText(contents[i].parts);
  }
  return '';
}

export const defaultGeminiHandler: GeminiHandler = (req) => ({ text: defaultObservationXml(lastUserGeminiText(req.body)) });

const ROUTE = /\/v1beta\/models\/([^/:?]+):generateContent$/;

export async function startFakeGemini(opts: { handler?: GeminiHandler } = {}): Promise<FakeGemini> {
  let handler: GeminiHandler = opts.handler ?? defaultGeminiHandler;
  const base = await startFakeHttp(async (req, res) => {
    const m = ROUTE.exec(req.path.split('?')[0]);
    if (req.method !== 'POST' || !m) {
      return sendJson(res, 404, geminiErrorBody(404, `fake-gemini: no route for ${req.method} ${req.path}`));
    }
    const model = decodeURIComponent(m[1]);
    const reply = await handler({ ...req, model });
    if (isFault(reply)) return applyFault(reply, res);
    if ('status' in reply) {
      if (typeof reply.body === 'string') {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
        res.end(reply.body);
        return;
      }
      const body = reply.body ?? geminiErrorBody(reply.status, reply.message ?? `fake error ${reply.status}`, reply.errorStatus);
      return sendJson(res, reply.status, body, reply.headers ?? {});
    }
    const promptTokenCount = Math.ceil(promptChars([req.body?.systemInstruction ?? '', req.body?.contents ?? []]) / 4);
    const candidatesTokenCount = Math.max(1, Math.ceil(reply.text.length / 4));
    const usageMetadata = {
      promptTokenCount,
      candidatesTokenCount,
      totalTokenCount: promptTokenCount + candidatesTokenCount,
      ...(reply.usage ?? {}),
    };
    return sendJson(res, 200, {
      candidates: [{ content: { role: 'model', parts: [{ text: reply.text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata,
      modelVersion: model,
      responseId: `fake-gemini-${base.requests.length}`,
    });
  });
  return {
    ...base,
    setHandler(fn) {
      handler = fn;
    },
  };
}
