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
/**
 * Restore drills. On a drill cluster: `drill` (the policy; IAM lets the orchestrator delete a cluster
 * only when it carries this tag), the run, the snapshot restored and the target, and when it started.
 * On the snapshot a drill restores: `drill-until` while the drill runs (retention keeps it until then),
 * and the outcome of its last drill (`drill-result`, `drill-at`, `restore-seconds`): `status` reads them,
 * so the last drill of each target is known without a database.
 */
export const DRILL_KEYS = {
  drill: `${TAG_PREFIX}drill`,
  run: `${TAG_PREFIX}drill-run`,
  snapshot: `${TAG_PREFIX}drill-snapshot`,
  target: `${TAG_PREFIX}drill-target`,
  startedAt: `${TAG_PREFIX}drill-started`,
} as const;
export const DRILLED_KEYS = {
  until: `${TAG_PREFIX}drill-until`,
  result: `${TAG_PREFIX}drill-result`,
  at: `${TAG_PREFIX}drill-at`,
  restoreSeconds: `${TAG_PREFIX}restore-seconds`,
} as const;
export const MANAGED_BY_VALUE = 'backup-orchestrator';
export const MAX_TAGS_PER_RESOURCE = 50;

export type TagMap = Record<string, string>;

/**
 * docdb-elastic TagKey pattern from the model: `+-=` is a character range (`+ , - . / 0-9 : ; < =`), so it
 * admits digits and `, ; <`; spaces and `@` are refused. TagValue: 0-256 characters, no pattern.
 */
const ELASTIC_KEY_RE = /^(?!aws:)[a-zA-Z+-=._:/]+$/;
const ELASTIC_KEY_CHAR_RE = /[a-zA-Z+-=._:/]/;
const ELASTIC_KEY_CHARS = 'letters A-Z and a-z, digits 0-9 and + , - . / : ; < = _';
/**
 * RDS Tag shape (model documentation): key 1-128 and value up to 256 Unicode characters, neither starting
 * with aws: or rds:, both of letters, digits, white space and _ . : / = + - @.
 */
const RDS_CHAR_RE = /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u;
const RDS_CHARS = 'letters, digits, spaces and _ . : / = + - @';
const RDS_RESERVED_RE = /^(aws|rds):/i;
/** A key both APIs accept: only the characters in both sets (ASCII letters and digits, _ . : / = + -). */
const BOTH_KEY_CHAR_RE = /[A-Za-z0-9_.:/=+-]/;
const BOTH_KEY_CHARS = 'letters A-Z and a-z, digits 0-9 and _ . : / = + -';

export type TagApi = 'docdb-elastic' | 'rds';

/** Names the characters of `text` that `allowed` (one character) refuses: `a space, "@" and "#"`. */
function refused(text: string, allowed: RegExp): string | undefined {
  const chars = [...new Set([...text].filter((c) => !allowed.test(c)))];
  if (chars.length === 0) return undefined;
  const names = chars.map((c) =>
    c === ' ' ? 'a space' : /[\s\p{C}]/u.test(c) ? `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}` : `"${c}"`,
  );
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const lengthOf = (s: string) => [...s].length;

/** Returns what is wrong with one tag for an API, in words, or undefined when the API accepts it. */
export function tagProblem(api: TagApi, key: string, value: string): string | undefined {
  if (lengthOf(key) < 1 || lengthOf(key) > 128) return `key "${key}" must be 1-128 characters (${api})`;
  if (lengthOf(value) > 256) return `value of "${key}" must be at most 256 characters (${api})`;
  if (api === 'docdb-elastic') {
    if (ELASTIC_KEY_RE.test(key)) return undefined;
    if (key.startsWith('aws:')) return `key "${key}" must not start with aws: (docdb-elastic)`;
    return `key "${key}" may contain only ${ELASTIC_KEY_CHARS}, not ${refused(key, ELASTIC_KEY_CHAR_RE)} (docdb-elastic)`;
  }
  if (RDS_RESERVED_RE.test(key)) return `key "${key}" must not start with aws: or rds: (rds)`;
  const badKey = refused(key, RDS_CHAR_RE);
  if (badKey) return `key "${key}" may contain only ${RDS_CHARS}, not ${badKey} (rds)`;
  if (RDS_RESERVED_RE.test(value)) return `value of "${key}" must not start with aws: or rds: (rds)`;
  const badValue = refused(value, RDS_CHAR_RE);
  if (badValue) return `value of "${key}" may contain only ${RDS_CHARS}, not ${badValue} (rds)`;
  return undefined;
}

/**
 * What is wrong with a tag the policy puts on elastic snapshots (docdb-elastic) and copies (RDS), one message
 * per problem: a reason both APIs share is said once, and the characters named are those both accept.
 * Empty when both APIs accept the tag and it does not use the orchestrator's reserved prefix.
 */
export function policyTagProblems(key: string, value: string): string[] {
  if (key.startsWith(TAG_PREFIX))
    return [`the key prefix ${TAG_PREFIX} is reserved for the tags the orchestrator sets itself: rename the key`];
  const out: string[] = [];
  const keyLength = lengthOf(key);
  if (keyLength === 0) out.push('the tag key is empty: give it 1-128 characters');
  if (keyLength > 128) out.push(`the tag key is ${keyLength} characters long: shorten it to 128 at most`);
  if (RDS_RESERVED_RE.test(key)) {
    out.push(
      `the tag key must not start with "${key.slice(0, 4)}" (AWS reserves the prefixes aws: and rds: for its own tags): rename the key`,
    );
  }
  const badKey = refused(key, BOTH_KEY_CHAR_RE);
  if (badKey) {
    out.push(
      `the tag key may contain only ${BOTH_KEY_CHARS} (the characters both docdb-elastic and RDS accept), not ${badKey}: rename the key`,
    );
  }
  const valueLength = lengthOf(value);
  if (valueLength > 256) out.push(`the tag value is ${valueLength} characters long: shorten it to 256 at most`);
  if (RDS_RESERVED_RE.test(value)) {
    out.push(
      `the tag value must not start with "${value.slice(0, 4)}" (RDS refuses the prefixes aws: and rds: in values too): change the value`,
    );
  }
  const badValue = refused(value, RDS_CHAR_RE);
  if (badValue)
    out.push(`the tag value may contain only ${RDS_CHARS} (the rule of RDS, which tags the copies), not ${badValue}: change the value`);
  return out;
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
