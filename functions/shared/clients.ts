/**
 * AWS clients and the clock, built once per cold start and injected into the cores.
 * Endpoints follow the SDK's standard settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS, ...).
 */
import { DocDBElasticClient } from '@aws-sdk/client-docdb-elastic';
import { RDSClient } from '@aws-sdk/client-rds';
import { type AppConfig, loadConfig } from './config.js';

export interface Clients {
  elastic: DocDBElasticClient;
  rds: RDSClient;
}

export interface Deps {
  config: AppConfig;
  clients: Clients;
  now: () => Date;
}

export function createClients(region: string): Clients {
  // Standard retries (exponential backoff with jitter) absorb short throttling bursts and 5xx here;
  // what still fails reaches the item's own handling or the state machine's Retry.
  const common = { region, maxAttempts: 4, retryMode: 'standard' as const };
  return { elastic: new DocDBElasticClient(common), rds: new RDSClient(common) };
}

let defaults: Deps | undefined;

/** The production dependencies, built on first use (cold start) and reused. */
export function defaultDeps(): Deps {
  if (!defaults) {
    const config = loadConfig();
    defaults = { config, clients: createClients(config.region), now: () => new Date() };
  }
  return defaults;
}
