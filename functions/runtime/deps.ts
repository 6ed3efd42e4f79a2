/**
 * What a core is given: config, AWS clients, the clock, a logger, a metric sink and its time budget.
 * The production set is built once per cold start.
 */
import { type Clients, createClients } from '../aws/clients.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SnapshotRecord } from '../domain/run.js';
import { type AppConfig, loadConfig, loadLogLevel } from './config.js';
import { getTracer } from './tracing.js';
import { createLogger } from './telemetry.js';

export interface Deps {
  config: AppConfig;
  clients: Clients;
  now: () => Date;
  logger: Logger;
  /** Where EMF metric documents go: stdout in Lambda (CloudWatch reads them from the log). */
  emit: (line: string) => void;
  /**
   * When this invocation stops starting new work (ms on the `now` clock): well inside the function's
   * timeout; what is left goes on in the next invocation from the cursor in the state.
   */
  budgetEndsAt: () => number;
  /** Where each snapshot's outcome goes (default: one log line each; the rehearsal and `plan` collect them). */
  record?: (r: SnapshotRecord) => void;
}

let logger: Logger | undefined;

/** The process's logger (level from LOG_LEVEL), shared by the handler's middleware and the cores. */
export function runtimeLogger(): Logger {
  logger ??= createLogger(loadLogLevel());
  return logger;
}

let defaults: Promise<Deps> | undefined;

/**
 * The production dependencies, built on the first invocation (cold start) and reused. An invalid
 * policy file fails that invocation with a ValidationError naming the policy, field and rule.
 */
export function defaultDeps(): Promise<Deps> {
  defaults ??= (async () => {
    const config = loadConfig();
    const clients = createClients(config.region);
    const tracer = await getTracer();
    tracer?.captureAWSv3Client(clients.elastic);
    tracer?.captureAWSv3Client(clients.rds);
    tracer?.captureAWSv3Client(clients.cloudwatch);
    return {
      config,
      clients,
      now: () => new Date(),
      logger: runtimeLogger(),
      emit: (line: string) => process.stdout.write(`${line}\n`),
      budgetEndsAt: () => Number.POSITIVE_INFINITY,
    };
  })();
  defaults.catch(() => {
    defaults = undefined;
  });
  return defaults;
}
