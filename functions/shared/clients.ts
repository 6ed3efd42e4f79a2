/**
 * AWS clients and the clock, built once per cold start and injected into the cores.
 * Endpoints follow the SDK's standard settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS, ...).
 */
import { DocDBElasticClient } from '@aws-sdk/client-docdb-elastic';
import { RDSClient } from '@aws-sdk/client-rds';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type AppConfig, loadConfig } from './config.js';
import { createLogger } from './telemetry.js';

export interface Clients {
  elastic: DocDBElasticClient;
  rds: RDSClient;
}

export interface Deps {
  config: AppConfig;
  clients: Clients;
  now: () => Date;
  logger: Logger;
  /** Where EMF metric documents go: stdout in Lambda (CloudWatch reads them from the log). */
  emit: (line: string) => void;
}

export function createClients(region: string): Clients {
  // Standard retries (exponential backoff with jitter) absorb short throttling bursts and 5xx here;
  // what still fails reaches the item's own handling or the state machine's Retry.
  const common = { region, maxAttempts: 4, retryMode: 'standard' as const };
  return { elastic: new DocDBElasticClient(common), rds: new RDSClient(common) };
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
    if (config.tracing) {
      // Loaded only when tracing is on, so the X-Ray SDK costs nothing at cold start otherwise.
      const { Tracer } = await import('@aws-lambda-powertools/tracer');
      const tracer = new Tracer({ serviceName: 'backup-orchestrator' });
      tracer.captureAWSv3Client(clients.elastic);
      tracer.captureAWSv3Client(clients.rds);
    }
    return {
      config,
      clients,
      now: () => new Date(),
      logger: createLogger(config.logLevel),
      emit: (line: string) => process.stdout.write(`${line}\n`),
    };
  })();
  defaults.catch(() => {
    defaults = undefined;
  });
  return defaults;
}
