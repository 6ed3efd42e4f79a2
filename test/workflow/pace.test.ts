/**
 * The stand-in's pace (latency and throttling in virtual time, local/standin/pace.ts): an empty bucket
 * answers with each service's real throttling error (docs/aws-behaviour.md E10, R13, P4-P6), calls take
 * virtual time, and the product still finishes a run under it without failing from throttling.
 */
import { DocDBElasticClient, ListClustersCommand } from '@aws-sdk/client-docdb-elastic';
import { DescribeDBClusterSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { elasticSnapshotName } from '../../functions/domain/naming.js';
import { ownershipTags } from '../../functions/domain/tags.js';
import { runWorkflow } from '../../local/runner.js';
import { LATENCY_HEADER } from '../../local/standin/pace.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { parseWorld, type WorldInput } from '../../local/standin/world.js';
import { clusterArn, type Envelope, policies } from './helpers.js';

const NOW = new Date('2026-11-22T02:00:00Z');
const SOURCE = '111122223333';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/pace-0000-4000-8000-000000000000';

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

const tiny = (pace: WorldInput['pace']): WorldInput => ({
  accountId: '123456789012',
  region: 'us-east-1',
  now: NOW.toISOString(),
  elasticClusters: [{ name: 'alpha', arn: clusterArn('00000000-0000-4000-8000-0000000000a1') }],
  pace,
});

/** A request as the SDK signs it: the stand-in routes by the service in the credential scope. */
const credentials = { accessKeyId: 'AKIASTANDIN00000000', secretAccessKey: 'standin-secret' };
const auth = (service: string) => `AWS4-HMAC-SHA256 Credential=AKIASTANDIN00000000/20261122/us-east-1/${service}/aws4_request, Signature=0`;

describe('pace: throttling', () => {
  it('answers docdb-elastic with ThrottlingException: HTTP 429, its type in x-amzn-errortype, a JSON message', async () => {
    standIn = await startStandIn(parseWorld(tiny({ buckets: { 'docdb-elastic': { capacity: 2, refillPerSecond: 1 } } })));
    const get = () => fetch(`${standIn?.url}/clusters`, { headers: { authorization: auth('docdb-elastic') } });
    const [a, b, c] = [await get(), await get(), await get()];
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    expect(c.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(c.headers.get('content-type')).toBe('application/json');
    expect(await c.json()).toEqual({ message: 'Rate exceeded' });
    expect(Number(c.headers.get(LATENCY_HEADER))).toBeGreaterThanOrEqual(50);
    // the SDK reads it as the modelled ThrottlingException
    const sdk = new DocDBElasticClient({ region: 'us-east-1', endpoint: standIn.url, maxAttempts: 1, credentials });
    const err = (await sdk.send(new ListClustersCommand({})).catch((e: unknown) => e)) as {
      name: string;
      $metadata: { httpStatusCode: number };
    };
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata.httpStatusCode).toBe(429);
    // the bucket refills on the virtual clock: a second later there is a token again
    standIn.model.advance(1);
    expect((await get()).status).toBe(200);
    expect(standIn.pace?.throttled).toEqual({ ListClusters: 2 });
  });

  it('answers the RDS API with the query error Throttling (HTTP 400, "Rate exceeded")', async () => {
    standIn = await startStandIn(parseWorld(tiny({ buckets: { rds: { capacity: 1, refillPerSecond: 1 } } })));
    const post = () =>
      fetch(`${standIn?.url}/`, {
        method: 'POST',
        headers: { authorization: auth('rds'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=DescribeDBClusterSnapshots&Version=2014-10-31',
      });
    const [a, b] = [await post(), await post()];
    expect([a.status, b.status]).toEqual([200, 400]);
    const xml = await b.text();
    expect(xml).toContain('<Code>Throttling</Code>');
    expect(xml).toContain('<Message>Rate exceeded</Message>');
    const sdk = new RDSClient({ region: 'us-east-1', endpoint: standIn.url, maxAttempts: 1, credentials });
    const err = (await sdk.send(new DescribeDBClusterSnapshotsCommand({})).catch((e: unknown) => e)) as {
      name: string;
      message: string;
      $metadata: { httpStatusCode: number };
    };
    expect([err.name, err.message, err.$metadata.httpStatusCode]).toEqual(['Throttling', 'Rate exceeded', 400]);
  });

  it('is off without pace: no latency header, no throttling', async () => {
    standIn = await startStandIn(parseWorld(tiny(undefined)));
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${standIn.url}/clusters`, { headers: { authorization: auth('docdb-elastic') } });
      expect(res.status).toBe(200);
      expect(res.headers.get(LATENCY_HEADER)).toBeNull();
    }
    expect(standIn.pace).toBeUndefined();
  });
});

describe('pace: a run under a stingy account', () => {
  it('finishes with every snapshot made and copied, no failure from throttling, and invocations that took virtual time', async () => {
    const arnOf = (i: number) => clusterArn(`00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
    const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
    const w: WorldInput = {
      accountId: '123456789012',
      region: 'us-east-1',
      now: NOW.toISOString(),
      kmsKeys: [KEY],
      // Far stingier than the defaults: bursts of 5 and 4, then 2 and 1 calls a second.
      pace: { buckets: { 'docdb-elastic': { capacity: 5, refillPerSecond: 2 }, rds: { capacity: 4, refillPerSecond: 1 } } },
      elasticClusters: Array.from({ length: 30 }, (_, i) => ({
        name: `pace-${i}`,
        arn: arnOf(i),
        tags: { backup: 'pace' },
        createMinutes: 20 + i,
        snapshots: Array.from({ length: 3 }, (_, d) => ({
          name: elasticSnapshotName('pace', arnOf(i), `pace-${i}`, day(d + 1)),
          createdAt: day(d + 1).toISOString(),
          tags: ownershipTags({ policy: 'pace', target: arnOf(i), runId: `r${d}`, createdAt: day(d + 1) }),
        })),
      })),
      sharedSnapshots: Array.from({ length: 6 }, (_, i) => ({
        ownerAccount: SOURCE,
        id: `partner-${i}`,
        clusterId: `src-${i}`,
        createdAt: new Date(NOW.getTime() - 3_600_000).toISOString(),
        copyMinutes: 30,
      })),
    };
    standIn = await startStandIn(parseWorld(w));
    const r = await runWorkflow({
      standIn,
      policyFile: policies(`
policies:
  - name: pace
    elastic: { selector: { backup: pace } }
    copy: { sourceAccounts: ['${SOURCE}'], kmsKeyId: '${KEY}' }
    retention: { keepDaily: 3, minKeep: 2 }
`),
      input: { policy: 'pace' },
    });
    const env = r.output as Envelope;
    expect(r.status).toBe('SUCCEEDED');
    expect(env.data.status).toBe('SUCCEEDED');
    expect(env.data.summary).toMatchObject({ created: 30, copied: 6, deleted: 30, failed: 0 });
    // the buckets did throttle, and the SDK's retries and adaptive rate limiter absorbed it
    expect(standIn.pace?.throttledCalls).toBeGreaterThan(0);
    // calls took virtual time: each invocation's duration is the latency and waits of its calls
    expect(r.maxInvocationSeconds).toBeGreaterThan(1);
    expect(r.maxInvocationSeconds).toBeLessThan(300);
    expect(r.lambdaGbSeconds).toBeGreaterThan(0);
  });
});
