/**
 * Tag rules of the two APIs and the ownership tags the orchestrator always sets.
 * Retention and IAM rely on the ownership tags: never rename them lightly.
 */

export const TAG_PREFIX = 'backup-orchestrator:';
export const OWNERSHIP_KEYS = {
  managedBy: `${TAG_PREFIX}managed-by`,
  policy: `${TAG_PREFIX}policy`,
  target: `${TAG_PREFIX}target`,
  runId: `${TAG_PREFIX}run-id`,
  createdAt: `${TAG_PREFIX}created-at`,
} as const;
/**
 * Set on every copy when it starts: the source it holds. Retention dates a copy by `source-time` (the
 * point in time it holds), and copy planning knows a source is held by `source-arn` and `source-time`.
 */
export const COPY_KEYS = {
  sourceArn: `${TAG_PREFIX}source-arn`,
  sourceTime: `${TAG_PREFIX}source-time`,
} as const;
/** The run that last added tags to a snapshot: `tagged` counts are read back from it, so a retried step counts once. */
export const TAGGED_BY = `${TAG_PREFIX}tagged-by`;
/** Tags the orchestrator itself sets on a copy (ownership, source, tagged-by): what is left of 50 is the policy's. */
export const RESERVED_TAGS_ON_COPY = Object.keys(OWNERSHIP_KEYS).length + Object.keys(COPY_KEYS).length + 1;
export const MANAGED_BY_VALUE = 'backup-orchestrator';
export const MAX_TAGS_PER_RESOURCE = 50;

export type TagMap = Record<string, string>;

/** docdb-elastic key pattern from the model; `+-=` is a character range that admits digits. */
const ELASTIC_KEY_RE = /^(?!aws:)[a-zA-Z+-=._:/]+$/;
/** RDS Tag shape: letters, digits, white-space, _ . : / = + - @. */
const RDS_CHARS_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export type TagApi = 'docdb-elastic' | 'rds';

/** Returns what is wrong with one tag for an API, or undefined when the API accepts it. */
export function tagProblem(api: TagApi, key: string, value: string): string | undefined {
  if (key.length < 1 || key.length > 128) return `key "${key}" must be 1-128 characters (${api})`;
  if (value.length > 256) return `value of "${key}" must be at most 256 characters (${api})`;
  if (api === 'docdb-elastic') {
    if (!ELASTIC_KEY_RE.test(key)) {
      return `key "${key}" must match ^(?!aws:)[a-zA-Z+-=._:/]+$ (docdb-elastic)`;
    }
    return undefined;
  }
  if (/^(aws|rds):/i.test(key)) return `key "${key}" must not start with aws: or rds: (rds)`;
  if (!RDS_CHARS_RE.test(key)) return `key "${key}" may hold only letters, digits, spaces and _ . : / = + - @ (rds)`;
  if (!RDS_CHARS_RE.test(value)) {
    return `value of "${key}" may hold only letters, digits, spaces and _ . : / = + - @ (rds)`;
  }
  return undefined;
}

export function ownershipTags(p: { policy: string; target: string; runId: string; createdAt: Date }): TagMap {
  return {
    [OWNERSHIP_KEYS.managedBy]: MANAGED_BY_VALUE,
    [OWNERSHIP_KEYS.policy]: p.policy,
    [OWNERSHIP_KEYS.target]: p.target,
    [OWNERSHIP_KEYS.runId]: p.runId,
    [OWNERSHIP_KEYS.createdAt]: p.createdAt.toISOString(),
  };
}

/** True when the tags prove the orchestrator created the snapshot for this policy. */
export function isOwnedBy(tags: TagMap, policy: string): boolean {
  return tags[OWNERSHIP_KEYS.managedBy] === MANAGED_BY_VALUE && tags[OWNERSHIP_KEYS.policy] === policy;
}

/**
 * Builds the tags for a new snapshot: ownership tags win over static tags, which win over source tags.
 * Source tags that the API would reject, or that do not fit in the 50-tag limit, are dropped and reported.
 */
export function composeTags(
  api: TagApi,
  parts: { ownership: TagMap; static: TagMap; source?: TagMap },
): { tags: TagMap; dropped: string[] } {
  const tags: TagMap = { ...parts.ownership };
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(parts.static)) if (!(k in tags)) tags[k] = v;
  for (const [k, v] of Object.entries(parts.source ?? {})) {
    if (k in tags) continue;
    if (k.startsWith(TAG_PREFIX) || tagProblem(api, k, v) || Object.keys(tags).length >= MAX_TAGS_PER_RESOURCE) {
      dropped.push(k);
      continue;
    }
    tags[k] = v;
  }
  return { tags, dropped };
}

/** Tags of `wanted` whose keys `actual` lacks. Existing values are never overwritten. */
export function missingTags(actual: TagMap, wanted: TagMap): TagMap {
  const out: TagMap = {};
  for (const [k, v] of Object.entries(wanted)) if (!(k in actual)) out[k] = v;
  return out;
}

export const toTagList = (tags: TagMap) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const fromTagList = (list: readonly { Key?: string; Value?: string }[] | undefined): TagMap =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
