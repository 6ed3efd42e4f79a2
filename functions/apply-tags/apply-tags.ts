/**
 * Apply Tags (copies): every tag the policy needs on a copy is set explicitly and verified here. A copy
 * gets the static tags it lacks, and copies made before the source tags existed get them back (source ARN
 * from SourceDBClusterSnapshotArn; source time from the shared source, else from the copy's name), and with
 * `tags.copySourceTags` the source's visible tags it lacks. Existing values are never overwritten. A copy
 * that still lacks a required key is reported.
 *
 * `tagged` is read back from the `tagged-by` tag each change also sets, so a retried step counts once.
 */
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { describeClusterSnapshots } from '../aws/rds.js';
import type { Deps } from '../runtime/deps.js';
import { copyPhase, heldCopy, holds } from '../domain/copy-plan.js';
import { errorFor, isTransient, type OrchestratorError } from '../domain/errors.js';
import { toOrchestratorError } from '../aws/errors.js';
import type { Policy } from '../domain/policy.js';
import { mapPool } from '../runtime/pool.js';
import { route } from '../domain/route.js';
import { type Failure, type Progress, type RunState, withFailures } from '../domain/run.js';
import { COPY_KEYS, composeTags, fromTagList, missingTags, OWNERSHIP_KEYS, TAGGED_BY, type TagMap, toTagList } from '../domain/tags.js';

export async function applyTags(state: RunState, policy: Policy, deps: Deps): Promise<Progress> {
  const { run, progress } = state;
  const [owned, shared] = await Promise.all([
    describeClusterSnapshots(deps.clients.rds, 'manual'),
    describeClusterSnapshots(deps.clients.rds, 'shared'),
  ]);
  const sourceTimes = new Map(
    shared.map((s) => [s.DBClusterSnapshotArn ?? '', s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime) : undefined]),
  );
  const sourceTags = new Map(shared.map((s) => [s.DBClusterSnapshotArn ?? '', fromTagList(s.TagList)]));
  const failures: Failure[] = [];
  const transient: OrchestratorError[] = [];
  let tagged = 0;
  const copies = owned.flatMap((s) => {
    const h = heldCopy(s, policy);
    return h && copyPhase(h.status) !== 'deleting' ? [h] : [];
  });
  await mapPool(copies, deps.config.policyFile.settings.concurrency, async (h) => {
    const wanted: TagMap = { ...policy.tags.static };
    if (h.sourceArn) wanted[COPY_KEYS.sourceArn] = h.sourceArn;
    const sharedTime = h.sourceArn ? sourceTimes.get(h.sourceArn) : undefined;
    const sameSource = sharedTime !== undefined && holds(h, { arn: h.sourceArn ?? '', time: sharedTime });
    const time = sameSource ? sharedTime : h.timeFrom !== 'created' ? h.time : undefined;
    if (time) wanted[COPY_KEYS.sourceTime] = time.toISOString();
    if (h.target) wanted[OWNERSHIP_KEYS.target] = h.target;
    if (h.startedAt) wanted[OWNERSHIP_KEYS.createdAt] = h.startedAt.toISOString();
    // The source's visible tags (tags.copySourceTags), while the shared source is the one the copy holds,
    // by the same rules as at copy time (no reserved prefix, AWS's tag rules, at most 50 tags).
    const src = policy.tags.copySourceTags && sameSource && h.sourceArn ? sourceTags.get(h.sourceArn) : undefined;
    if (src) {
      const { tags: all } = composeTags('rds', { ownership: { ...h.tags, ...wanted }, static: {}, source: src });
      for (const [k, v] of Object.entries(all)) if (!(k in h.tags) && !(k in wanted)) wanted[k] = v;
    }
    const missing = missingTags(h.tags, wanted);
    const lacking = policy.tags.required.filter((k) => !(k in h.tags) && !(k in missing));
    const source = h.sourceArn ?? h.target;
    if (lacking.length > 0) {
      failures.push({
        target: source,
        code: 'VALIDATION_ERROR',
        message: `copy ${h.id} of ${source} lacks required tag keys ${lacking.join(', ')}: give them a value in tags.static`,
      });
    }
    if (Object.keys(missing).length === 0) {
      if (h.tags[TAGGED_BY] === run.id) tagged++;
      return;
    }
    if (run.dryRun) {
      tagged++;
      return;
    }
    try {
      await deps.clients.rds.send(
        new AddTagsToResourceCommand({ ResourceName: h.arn, Tags: toTagList({ ...missing, [TAGGED_BY]: run.id }) }),
      );
      tagged++;
      deps.logger.info('tags added', { target: source, operation: 'AddTagsToResource', snapshot: h.id, keys: Object.keys(missing) });
    } catch (err) {
      const e = toOrchestratorError(err, `copy ${h.id} of ${source}: AddTagsToResource`);
      if (isTransient(e.code)) transient.push(e);
      else failures.push({ target: source, code: e.code, message: e.message });
    }
  });
  // Tagging is idempotent and its count is read back from the tags: a transient error retries the whole step.
  const first = transient[0];
  if (first) throw errorFor(first.code, `${transient.length} copies could not be tagged yet, first: ${first.message}`);
  const next: Progress = {
    ...progress,
    tagged: progress.tagged + tagged,
    copies: { ...progress.copies, stage: 'retention' },
    log: withFailures(progress.log, failures),
  };
  return route(next, run, deps.now());
}
