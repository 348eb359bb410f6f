import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  JobCanceledError,
  JobFailedError,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  UnprocessableEntityError,
  VtransError,
  WaitTimeoutError,
  createApiError,
  isApiError,
  isConflictError,
  isNotFoundError,
  isJobCanceledError,
  isJobFailedError,
  isNetworkError,
  isTimeoutError,
  isVtransError,
  isWaitTimeoutError,
} from '@vtrans/client';
import { completedJson } from './helpers/scripted-server.js';

describe('createApiError', () => {
  it.each([
    [400, BadRequestError, 'BadRequestError'],
    [401, AuthenticationError, 'AuthenticationError'],
    [403, PermissionDeniedError, 'PermissionDeniedError'],
    [404, NotFoundError, 'NotFoundError'],
    [409, ConflictError, 'ConflictError'],
    [422, UnprocessableEntityError, 'UnprocessableEntityError'],
    [429, RateLimitError, 'RateLimitError'],
    [500, InternalServerError, 'InternalServerError'],
    [503, InternalServerError, 'InternalServerError'],
    [418, ApiError, 'ApiError'],
  ])('maps %i to %o', (status, Class, name) => {
    const error = createApiError({ status, code: 'c', requestId: 'r', retryAfterMs: 1000 });
    expect(error).toBeInstanceOf(Class);
    expect(error.name).toBe(name);
    expect(isApiError(error) && isVtransError(error)).toBe(true);
    expect([error.status, error.code, error.requestId, error.retryAfterMs]).toEqual([
      status,
      'c',
      'r',
      1000,
    ]);
    expect(error.message).toContain('(request r)');
  });
});

describe('error classes', () => {
  it('have literal names, standard causes and guards', () => {
    const cause = new Error('ECONNRESET');
    const network = new NetworkError('failed', { cause });
    expect([network.name, network.cause, isNetworkError(network), isApiError(network)]).toEqual([
      'NetworkError',
      cause,
      true,
      false,
    ]);
    const timeout = new TimeoutError(50);
    expect([
      timeout.name,
      timeout.timeoutMs,
      isTimeoutError(timeout),
      isNetworkError(timeout),
    ]).toEqual(['TimeoutError', 50, true, true]);
    const job = completedJson({ status: 'error', error: { code: 'x', message: 'y' } }) as never;
    expect(new JobFailedError(job).name).toBe('JobFailedError');
    expect(isJobFailedError(new JobFailedError(job))).toBe(true);
    expect(isJobCanceledError(new JobCanceledError(job))).toBe(true);
    const wait = new WaitTimeoutError({
      jobId: 'j',
      lastJob: undefined,
      elapsedMs: 5,
      requests: 2,
    });
    expect([
      wait.name,
      wait.jobId,
      wait.requests,
      isWaitTimeoutError(wait),
      wait instanceof VtransError,
    ]).toEqual(['WaitTimeoutError', 'j', 2, true, true]);
    expect(isVtransError(new Error('x'))).toBe(false);
  });
});

describe('guards', () => {
  it('exist for every exported error class, and tell its instances from others', async () => {
    const exports = (await import('@vtrans/client')) as Record<string, unknown>;
    const classes = Object.entries(exports).filter(
      (entry): entry is [string, abstract new (...args: never[]) => VtransError] =>
        typeof entry[1] === 'function' &&
        (entry[1] === VtransError || entry[1].prototype instanceof VtransError),
    );
    expect(classes.length).toBeGreaterThanOrEqual(17);
    const missing = classes.map(([name]) => `is${name}`).filter((g) => !(g in exports));
    expect(missing).toEqual([]);
    for (const [name, Class] of classes) {
      const guard = exports[`is${name}`] as (value: unknown) => boolean;
      const instance = Object.create(Class.prototype as object) as unknown;
      expect([name, guard(instance), guard(new Error('x')), guard(undefined)]).toEqual([
        name,
        true,
        false,
        false,
      ]);
    }
  });

  it('name the API error of each status', () => {
    const notFound = createApiError({ status: 404 });
    expect([isNotFoundError(notFound), isConflictError(notFound), isApiError(notFound)]).toEqual([
      true,
      false,
      true,
    ]);
  });
});
