/**
 * The operator CLI's own AWS clients (Step Functions, STS, CloudFormation) share the functions' request
 * timeout and attempts, and give up on a call that never answers: each attempt is aborted at the
 * request timeout (functions/aws/clients.ts), and the CLI exits 1. The real CLI against an endpoint that
 * never answers, its timers on a fake clock. (A workflow test: it runs the CLI end to end, sockets and all.)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAXIMUM_RETRY_DELAY } from '@smithy/core/retry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../../functions/aws/clients.js';
import { clientConfig, main } from '../../cli/main.js';

/** More virtual time than the attempts, their timeouts and the longest backoffs can take. */
const bound = 2 * MAX_ATTEMPTS * (REQUEST_TIMEOUT_MS + MAXIMUM_RETRY_DELAY + 5_000);

describe("the operator CLI's own clients", () => {
  const KEYS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'] as const;
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  afterEach(() => {
    vi.useRealTimers();
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('are built with the functions’ request timeout and attempts', () => {
    expect(clientConfig('us-east-1', 'ops')).toEqual({
      region: 'us-east-1',
      profile: 'ops',
      maxAttempts: MAX_ATTEMPTS,
      requestHandler: expect.objectContaining({ requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true }),
    });
  });

  it('give up on a call that never answers: each attempt is aborted at the request timeout, and the CLI exits 1', async () => {
    // An endpoint that accepts every request and never answers.
    const held: ServerResponse[] = [];
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => void held.push(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'AKIATEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
    delete process.env.AWS_PROFILE;
    // The request timeout and the SDK's backoff pass on a fake clock; the sockets stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const out: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: () => undefined, sleep: () => Promise.resolve() };
    let code: number | undefined;
    const run = main(['--region', 'us-east-1', 'status', 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1'], io).then(
      (c) => void (code = c),
    );
    try {
      // Virtual time up to twice the worst case, a quarter second at a time; real I/O between the steps.
      for (let t = 0; code === undefined && t < bound; t += 250) {
        await vi.advanceTimersByTimeAsync(250);
        for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      }
      expect(code, 'the CLI is still waiting for an answer').toBe(1);
      await run;
      expect(held.length).toBe(MAX_ATTEMPTS);
      expect(JSON.parse(out.at(-1) ?? '{}')).toMatchObject({ success: false, error: { message: expect.stringMatching(/requestTimeout/) } });
    } finally {
      vi.useRealTimers();
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 30_000);
});
