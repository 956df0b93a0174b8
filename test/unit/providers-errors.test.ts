import { describe, expect, it } from 'vitest';
import { describeErrorBody, formatHttpErrorMessage, kindForStatus, parseRetryAfter } from '../../src/agent/providers/errors.js';

describe('kindForStatus', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [400, 'invalid_request'],
    [404, 'invalid_request'],
    [413, 'invalid_request'],
    [422, 'invalid_request'],
    [429, 'rate_limit'],
    [408, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [529, 'transient'],
    [402, 'quota'],
  ] as const)('%i → %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });

  it('recognises credit/billing refusals whatever the status, but not on 5xx', () => {
    expect(kindForStatus(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API.')).toBe('quota');
    expect(kindForStatus(429, 'insufficient_quota', 'You exceeded your current quota')).toBe('quota');
    expect(kindForStatus(403, 'billing_error', 'x')).toBe('quota');
    expect(kindForStatus(503, '', 'credit balance service down')).toBe('transient');
    expect(kindForStatus(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for metric: requests per minute')).toBe('rate_limit');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '30' }))).toBe(30);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1.5);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'Retry-After': 'Thu, 01 Jan 2026 00:00:12 GMT' }, now)).toBe(12);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });
});

describe('describeErrorBody', () => {
  it('reads the Anthropic, OpenAI, Google and loose gateway shapes', () => {
    expect(describeErrorBody({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } })).toEqual({
      errorType: 'authentication_error',
      message: 'invalid x-api-key',
    });
    expect(describeErrorBody({ error: { message: 'bad key', type: 'invalid_request_error', code: 'invalid_api_key' } })).toEqual({
      errorType: 'invalid_request_error',
      message: 'bad key',
    });
    expect(describeErrorBody({ error: { code: 400, message: 'API key not valid', status: 'INVALID_ARGUMENT' } })).toEqual({
      errorType: 'INVALID_ARGUMENT',
      message: 'API key not valid',
    });
    expect(describeErrorBody({ error: 'model not allowed' })).toEqual({ errorType: undefined, message: 'model not allowed' });
    expect(describeErrorBody({ detail: 'Not authenticated' }).message).toBe('Not authenticated');
    expect(describeErrorBody({ weird: 1 }).message).toBe('{"weird":1}');
    expect(describeErrorBody(undefined, '<html>502 Bad Gateway</html>\n').message).toBe('<html>502 Bad Gateway</html>');
  });

  it('formats one line with the message unchanged', () => {
    expect(formatHttpErrorMessage({ status: 401, errorType: 'authentication_error', message: 'invalid x-api-key', requestId: 'req_1' })).toBe(
      '401 authentication_error: invalid x-api-key (request-id: req_1)',
    );
    expect(formatHttpErrorMessage({ status: 502, message: 'Bad Gateway' })).toBe('502: Bad Gateway');
  });
});
