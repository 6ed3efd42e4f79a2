/**
 * The runner's side of the stand-in's pace (local/standin/pace.ts): each AWS call the product makes is
 * held until the virtual clock reaches the time it answered (its start plus the latency the stand-in
 * reported), and retries wait their backoff on the virtual clock. Calls in flight at once overlap, as a
 * discrete-event simulation: the clock moves to the earliest answer due once every call the product
 * could start has reached the stand-in. So an invocation takes the virtual time its calls would take on
 * AWS, concurrency included, and a 10,000-cluster run still takes seconds of wall time.
 *
 * Also where the functions' timeouts and memory come from (serverless.yml), for the invocation budget,
 * Lambda's timeout and GB-seconds.
 */
import { readFileSync } from 'node:fs';
import { DefaultRateLimiter, type RateLimiter } from '@smithy/core/retry';
import { parse as parseYaml } from 'yaml';
import type { Clients } from '../functions/aws/clients.js';
import type { Model } from './standin/model.js';
import { LATENCY_HEADER, uniform } from './standin/pace.js';

interface Hold {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Virtual time of the calls in flight: answers are released in the order they are due. */
export class CallClock {
  private inIo = 0;
  private holds: Hold[] = [];
  private seq = 0;
  private scheduled = false;
  constructor(private readonly model: Model) {}

  /** A request is on its way to the stand-in (nothing is released meanwhile: its start time is now). */
  begin(): void {
    this.inIo++;
  }

  end(): void {
    this.inIo--;
    this.kick();
  }

  /** Resolves when the virtual clock reaches `atMs` and every answer due earlier was released. */
  until(atMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.holds.push({ at: atMs, seq: ++this.seq, resolve });
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the product react to what was released (its next calls reach begin()) before the clock moves on.
    setImmediate(() => {
      this.scheduled = false;
      this.release();
    });
  }

  private release(): void {
    if (this.inIo > 0 || this.holds.length === 0) return;
    let k = 0;
    for (let i = 1; i < this.holds.length; i++) {
      const h = this.holds[i] as Hold;
      const best = this.holds[k] as Hold;
      if (h.at < best.at || (h.at === best.at && h.seq < best.seq)) k = i;
    }
    const [h] = this.holds.splice(k, 1) as [Hold];
    this.model.nowMs = Math.max(this.model.nowMs, h.at);
    h.resolve();
    this.kick();
  }
}

/** The SDK's standard backoff (@smithy/core retry, v2026): full jitter over base x 2^retry, at most 20 s; base 1 s after a throttle, else 50 ms. */
export function backoffMs(attempt: number, afterThrottle: boolean, u: number): number {
  const base = afterThrottle ? 1000 : 50;
  return Math.floor(u * Math.min(base * 2 ** Math.max(0, attempt - 2), 20_000));
}

type Next = (args: { request?: unknown }) => Promise<{ response?: unknown; output: unknown }>;
interface Stack {
  add(middleware: (next: Next) => Next, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void;
}
interface Wire {
  statusCode?: number;
  headers?: Record<string, string>;
}

/**
 * Puts the product's elastic and RDS clients on the virtual clock: each attempt is held for the latency
 * the stand-in reports, and an attempt after the first waits the SDK's backoff first (the client's own
 * backoff is then 0: `createClients({ backoffMs: () => 0 })`).
 */
export function paceClients(clients: Clients, clock: CallClock, model: Model, seed: number): void {
  const jitter = uniform(seed ^ 0x5bd1e995);
  const throttledBefore = new Map<string, boolean>();
  for (const c of [clients.elastic, clients.rds]) {
    (c.middlewareStack as unknown as Stack).add(
      (next) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
        const attempt = Number(/attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '')?.[1] ?? 1);
        const id = headers['amz-sdk-invocation-id'] ?? '';
        if (attempt > 1) await clock.until(model.nowMs + backoffMs(attempt, throttledBefore.get(id) ?? false, jitter()));
        const startedAt = model.nowMs;
        clock.begin();
        let out: Awaited<ReturnType<Next>> | undefined;
        let error: unknown;
        try {
          out = await next(args);
        } catch (err) {
          error = err;
        } finally {
          clock.end();
        }
        const wire = (out?.response ?? (error as { $response?: unknown } | undefined)?.$response) as Wire | undefined;
        const latency = Number(wire?.headers?.[LATENCY_HEADER] ?? 0);
        if (latency > 0) await clock.until(startedAt + latency);
        if (error === undefined) {
          throttledBefore.delete(id);
          return out as Awaited<ReturnType<Next>>;
        }
        const name = (error as { name?: string }).name;
        throttledBefore.set(id, wire?.statusCode === 429 || name === 'Throttling' || name === 'ThrottlingException');
        throw error as Error;
      },
      { step: 'finalizeRequest', priority: 'low', name: 'standinPace' },
    );
  }
}

/** What the rate limiter keeps to itself (@smithy/core retry, DefaultRateLimiter). */
interface LimiterInternals {
  enabled: boolean;
  availableTokens: number;
  fillRate: number;
  lastThrottleTime: number;
  lastTxRateBucket: number;
  getCurrentTimeInSeconds: () => number;
  refillTokenBucket: () => void;
  acquireTokenBucket: (amount: number) => Promise<void>;
}

/**
 * The SDK's own adaptive-mode rate limiter (the one Lambda runs in real time), on the virtual clock: its
 * time is the stand-in's, and its waits are holds on the call clock.
 */
export function virtualRateLimiter(model: Model, clock: CallClock): RateLimiter {
  const limiter = new DefaultRateLimiter();
  const l = limiter as unknown as LimiterInternals;
  l.getCurrentTimeInSeconds = () => model.nowMs / 1000;
  l.lastThrottleTime = model.nowMs / 1000;
  l.lastTxRateBucket = Math.floor(model.nowMs / 1000);
  l.acquireTokenBucket = async (amount: number) => {
    if (!l.enabled) return;
    l.refillTokenBucket();
    while (amount > l.availableTokens) {
      await clock.until(model.nowMs + Math.ceil(((amount - l.availableTokens) / l.fillRate) * 1000));
      l.refillTokenBucket();
    }
    l.availableTokens -= amount;
  };
  return limiter;
}

export interface LambdaSettings {
  timeoutSeconds: number;
  memoryMb: number;
}

let settings: { functions: Record<string, LambdaSettings>; provider: LambdaSettings } | undefined;

/** Each function's timeout and memory as serverless.yml sets them (the provider's where it does not; Lambda's own defaults, 3 s and 128 MB, where neither does). */
export function lambdaSettings(): { functions: Record<string, LambdaSettings>; provider: LambdaSettings } {
  if (settings) return settings;
  const doc = parseYaml(readFileSync(new URL('../serverless.yml', import.meta.url), 'utf8')) as {
    provider: { timeout?: number; memorySize?: number };
    functions: Record<string, { timeout?: number; memorySize?: number }>;
  };
  const provider = { timeoutSeconds: doc.provider.timeout ?? 3, memoryMb: doc.provider.memorySize ?? 128 };
  settings = {
    provider,
    functions: Object.fromEntries(
      Object.entries(doc.functions).map(([k, f]) => [
        k,
        { timeoutSeconds: f.timeout ?? provider.timeoutSeconds, memoryMb: f.memorySize ?? provider.memoryMb },
      ]),
    ),
  };
  return settings;
}

/** A function's settings; one serverless.yml does not define gets the provider's. */
export function lambdaSettingsOf(fn: string): LambdaSettings {
  const { functions, provider } = lambdaSettings();
  return functions[fn] ?? provider;
}
