/**
 * Apply Tags: adds the ownership, static and required tags that managed snapshots lack.
 * Copies: every copy of the policy (their tags come free with the listing). Elastic: the snapshots
 * this run adopted from an earlier attempt (the ones it created got their tags atomically with the create).
 * Existing values are never overwritten.
 */

import { TagResourceCommand } from '@aws-sdk/client-docdb-elastic';
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots, elasticTags, parseRdsSnapshotArn } from '../shared/aws.js';
import type { Deps } from '../shared/clients.js';
import { toOrchestratorError } from '../shared/errors.js';
import type { Policy } from '../shared/policy.js';
import { mapPool } from '../shared/pool.js';
import { addFailure, emptyFailureLog, ItemErrors, type Progress, type Run, type StepOutcome } from '../shared/run.js';
import { fromTagList, isOwnedBy, missingTags, OWNERSHIP_KEYS, type TagMap, toTagList } from '../shared/tags.js';

export async function applyTags(run: Run, policy: Policy, progress: Progress, deps: Deps): Promise<StepOutcome> {
  const out: StepOutcome = { count: 0, ...emptyFailureLog() };
  const errors = new ItemErrors(out);
  const concurrency = deps.config.policyFile.settings.concurrency;

  if (policy.copy && !run.skip.includes('copy')) {
    const owned = (await describeClusterSnapshots(deps.clients.rds, 'manual')).filter((s) =>
      isOwnedBy(fromTagList(s.TagList), policy.name),
    );
    await mapPool(owned, concurrency, async (s) => {
      const actual = fromTagList(s.TagList);
      const wanted: TagMap = { ...policy.tags.static };
      // Ownership tags a managed copy lacks and that can be derived: its target and creation time.
      if (!actual[OWNERSHIP_KEYS.createdAt] && s.SnapshotCreateTime) {
        wanted[OWNERSHIP_KEYS.createdAt] = new Date(s.SnapshotCreateTime).toISOString();
      }
      const source = parseRdsSnapshotArn(s.SourceDBClusterSnapshotArn ?? '');
      if (!actual[OWNERSHIP_KEYS.target] && source && s.DBClusterIdentifier) {
        wanted[OWNERSHIP_KEYS.target] = `${source.account}:${s.DBClusterIdentifier}`;
      }
      const missing = missingTags(actual, wanted);
      const stillMissing = policy.tags.required.filter((k) => !(k in actual) && !(k in missing));
      const arn = s.DBClusterSnapshotArn ?? '';
      if (stillMissing.length > 0) {
        addFailure(out, {
          target: arn,
          code: 'VALIDATION_ERROR',
          message: `copy ${arn} lacks required tag keys ${stillMissing.join(', ')} and no value is configured`,
        });
      }
      if (Object.keys(missing).length === 0) return;
      if (run.dryRun) {
        out.count++;
        return;
      }
      try {
        await deps.clients.rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: toTagList(missing) }));
        out.count++;
      } catch (err) {
        errors.record(arn, toOrchestratorError(err, `AddTagsToResource ${arn}`));
      }
    });
  }

  // Adopted elastic snapshots: an earlier attempt of this slot made them. Ownership is checked, never
  // granted: a same-named snapshot without our tags is someone else's and is reported, not tagged.
  await mapPool(progress.adoptedArns, concurrency, async (arn) => {
    try {
      const actual = await elasticTags(deps.clients.elastic, arn);
      if (!isOwnedBy(actual, policy.name)) {
        addFailure(out, {
          target: arn,
          code: 'CONFLICT',
          message: `snapshot ${arn} has this slot's name but not the orchestrator's ownership tags: left untouched`,
        });
        return;
      }
      const missing = missingTags(actual, policy.tags.static);
      if (Object.keys(missing).length === 0) return;
      if (!run.dryRun) await deps.clients.elastic.send(new TagResourceCommand({ resourceArn: arn, tags: missing }));
      out.count++;
    } catch (err) {
      errors.record(arn, toOrchestratorError(err, `tagging ${arn}`));
    }
  });
  errors.throwIfTransient();
  return out;
}
