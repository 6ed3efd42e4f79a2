import { readFileSync } from 'node:fs';
import type { ResultEnvelope } from '../../functions/report/report.js';
import { loadPolicyFile } from '../../functions/runtime/config.js';
import { type PolicyFile, parsePolicyYaml } from '../../functions/domain/policy.js';
import { type RunResult, runWorkflow } from '../../local/runner.js';
import type { StandIn } from '../../local/standin/server.js';
import { parseWorld, type World, type WorldInput } from '../../local/standin/world.js';

export const examplePolicies = (): PolicyFile => loadPolicyFile(new URL('../../policies.yml', import.meta.url).pathname);
export const exampleWorld = (): World =>
  parseWorld(JSON.parse(readFileSync(new URL('../../local/worlds/example.json', import.meta.url), 'utf8')));
export const world = (w: WorldInput): World => parseWorld(w);

/** The example policy with a drill of two targets and a validation function (its Map state runs). */
export function drillingPolicies(): PolicyFile {
  const f = structuredClone(examplePolicies());
  const p = f.policies[0];
  if (p?.restoreDrill) {
    p.restoreDrill.validation = {
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:validate-drill',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:drill-admin-AbCdEf',
    };
    p.restoreDrill.sample = 2;
  }
  return f;
}
export const policies = (yaml: string): PolicyFile => parsePolicyYaml(yaml);

export type Envelope = ResultEnvelope;

export async function run(opts: {
  world: World;
  policyFile: PolicyFile;
  input: unknown;
  standIn?: StandIn;
}): Promise<RunResult & { envelope: Envelope }> {
  const r = await runWorkflow(opts);
  return { ...r, envelope: r.output as Envelope };
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const clusterArn = (uuid: string) => `arn:aws:docdb-elastic:${REGION}:${ACCOUNT}:cluster/${uuid}`;
