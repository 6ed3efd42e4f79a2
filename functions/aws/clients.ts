/**
 * The AWS clients, built one way for the Lambdas, the CLI and the rehearsal. Endpoints follow the
 * SDK's standard settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS, ...).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DocDBElasticClient } from '@aws-sdk/client-docdb-elastic';
import { RDSClient } from '@aws-sdk/client-rds';
import { AdaptiveRetryStrategy, ConfiguredRetryStrategy, type RateLimiter } from '@smithy/core/retry';

export interface Clients {
  elastic: DocDBElasticClient;
  rds: RDSClient;
  cloudwatch: CloudWatchClient;
}

export interface ClientOptions {
  /**
   * Delay before retry `attempt` (ms). Default: the SDK's standard exponential backoff with jitter.
   * The local rehearsal passes one that spends virtual time instead of real time.
   */
  backoffMs?: (attempt: number) => number;
  /**
   * Abort a request that has not answered in this long (default REQUEST_TIMEOUT_MS); the aborted call is
   * retried like any transient failure.
   */
  requestTimeoutMs?: number;
  /** A named profile of the shared AWS config files (the CLI's --profile). */
  profile?: string;
  /**
   * With `backoffMs`: makes each client's adaptive-mode rate limiter, on the same clock as the backoff (the
   * local rehearsal's virtual clock). Without it, `backoffMs` gives standard retries.
   */
  rateLimiter?: () => RateLimiter;
}

export const MAX_ATTEMPTS = 4;
/**
 * A call that has not answered in 30 s is aborted and retried. With 4 attempts and the SDK's backoff
 * (at most 20 s between attempts) one call takes at most about 3 minutes, so an invocation that stops
 * starting work after 4 minutes (runtime/handler.ts) ends well inside its 14-minute timeout.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const CONNECTION_TIMEOUT_MS = 5_000;

export function createClients(region: string, options: ClientOptions = {}): Clients {
  // Adaptive retries: the standard ones (exponential backoff with jitter for throttling, 5xx, resets and
  // timeouts) plus a client-side rate limiter that slows the client down once a service throttles it, so a
  // fleet-wide pass settles near the account's rate instead of spending attempts on throttling errors. What
  // still fails reaches the item's own handling or the state machine's Retry.
  const { backoffMs, rateLimiter } = options;
  const configured = backoffMs && !rateLimiter ? new ConfiguredRetryStrategy(MAX_ATTEMPTS, backoffMs) : undefined;
  // One rate limiter per client, as the SDK gives each client its own: each service throttles on its own.
  const retryStrategy = () =>
    backoffMs && rateLimiter
      ? new AdaptiveRetryStrategy(MAX_ATTEMPTS, {
          rateLimiter: rateLimiter(),
          backoff: { computeNextBackoffDelay: (i: number) => backoffMs(i + 1), setDelayBase: () => undefined },
        })
      : configured;
  const common = (strategy = retryStrategy()) => ({
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'adaptive' as const,
    ...(strategy ? { retryStrategy: strategy } : {}),
    // throwOnRequestTimeout: @smithy/node-http-handler 4.4+ only warns on a request timeout unless told to abort.
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  return { elastic: new DocDBElasticClient(common()), rds: new RDSClient(common()), cloudwatch: new CloudWatchClient(common()) };
}
