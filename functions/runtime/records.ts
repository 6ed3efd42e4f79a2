/**
 * How a Lambda step logs the snapshots it acted on: one line per snapshot created, copied, deleted or
 * declined, and the kept ones grouped, one line per target and part. Retention keeps most of a fleet's
 * snapshots every run (30 a cluster in the bench), so a line per kept snapshot would be most of a run's
 * log volume, which CloudWatch Logs charges for by the byte (docs/performance.md).
 */
import type { SnapshotRecord } from '../domain/run.js';

/** Kept snapshots listed in one line at most; a target with more gets several lines. */
export const KEPT_PER_LINE = 100;

export interface RecordLog {
  record(r: SnapshotRecord): void;
  /** Writes the kept snapshots still held (call when the invocation ends, whatever its outcome). */
  flush(): void;
}

export function recordLog(log: (message: string, fields: Record<string, unknown>) => void): RecordLog {
  const kept = new Map<string, SnapshotRecord[]>();
  const write = (key: string) => {
    const list = kept.get(key);
    kept.delete(key);
    const first = list?.[0];
    if (!list || !first) return;
    log('snapshots kept', {
      target: first.of,
      operation: 'kept',
      part: first.part,
      count: list.length,
      // the name identifies the snapshot in its account and region; the ARN would double the line
      kept: list.map((r) => ({ name: r.name, time: r.time, reasons: r.reasons })),
    });
  };
  return {
    record(r) {
      if (r.action !== 'kept') {
        log(`snapshot ${r.action}`, { target: r.of, operation: r.action, ...r });
        return;
      }
      const key = `${r.part}\u0000${r.of}`;
      const list = kept.get(key) ?? [];
      list.push(r);
      kept.set(key, list);
      if (list.length >= KEPT_PER_LINE) write(key);
    },
    flush() {
      for (const key of [...kept.keys()]) write(key);
    },
  };
}
