/**
 * X-Ray, opt-in (TRACING=true): one Powertools Tracer for the process, loaded only when tracing is on,
 * so the X-Ray SDK costs nothing at cold start otherwise.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type middy from '@middy/core';
import { tracingEnabled } from './config.js';

let tracer: Promise<Tracer | undefined> | undefined;

/** The process's tracer, or undefined when tracing is off. */
export function getTracer(): Promise<Tracer | undefined> {
  tracer ??= tracingEnabled()
    ? import('@aws-lambda-powertools/tracer').then(({ Tracer }) => new Tracer({ serviceName: 'backup-orchestrator' }))
    : Promise.resolve(undefined);
  return tracer;
}

/**
 * Powertools' captureLambdaHandler, built on the first invocation when tracing is on (a no-op
 * otherwise): it opens the handler's subsegment and records the response or the error.
 */
export function tracingMiddleware(): middy.MiddlewareObj {
  let inner: Promise<middy.MiddlewareObj | undefined> | undefined;
  const get = () =>
    (inner ??= getTracer().then(async (t) => {
      if (!t) return undefined;
      const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware');
      return captureLambdaHandler(t) as middy.MiddlewareObj;
    }));
  return {
    before: async (request) => void (await (await get())?.before?.(request)),
    after: async (request) => void (await (await get())?.after?.(request)),
    onError: async (request) => void (await (await get())?.onError?.(request)),
  };
}
