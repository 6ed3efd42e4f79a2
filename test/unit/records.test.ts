import { describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../functions/domain/run.js';
import { KEPT_PER_LINE, recordLog } from '../../functions/runtime/records.js';

const rec = (action: SnapshotRecord['action'], of: string, n: number, part: SnapshotRecord['part'] = 'elastic'): SnapshotRecord => ({
  action,
  part,
  arn: `arn:aws:docdb-elastic:us-east-1:123456789012:cluster-snapshot/${of}-${n}`,
  name: `daily-${of}-${n}`,
  of,
  time: new Date(Date.UTC(2026, 10, n)).toISOString(),
  reasons: [`daily 2026-11-${String(n).padStart(2, '0')}`],
});

describe('snapshot records in the Lambda logs', () => {
  it('log each snapshot acted on at once, and the kept ones grouped per target and part when the invocation ends', () => {
    const lines: [string, Record<string, unknown>][] = [];
    const log = recordLog((m, f) => lines.push([m, f]));
    log.record(rec('kept', 'a', 1));
    log.record(rec('kept', 'b', 1));
    log.record(rec('deleted', 'a', 2));
    log.record(rec('kept', 'a', 3));
    log.record(rec('kept', 'a', 4, 'copies'));
    expect(lines.map(([m]) => m)).toEqual(['snapshot deleted']);
    expect(lines[0]?.[1]).toMatchObject({ target: 'a', operation: 'deleted', name: 'daily-a-2', arn: expect.stringContaining('a-2') });
    log.flush();
    const kept = lines.slice(1).map(([m, f]) => ({ m, ...f }));
    expect(kept).toEqual([
      {
        m: 'snapshots kept',
        target: 'a',
        operation: 'kept',
        part: 'elastic',
        count: 2,
        kept: [
          { name: 'daily-a-1', time: '2026-11-01T00:00:00.000Z', reasons: ['daily 2026-11-01'] },
          { name: 'daily-a-3', time: '2026-11-03T00:00:00.000Z', reasons: ['daily 2026-11-03'] },
        ],
      },
      expect.objectContaining({ target: 'b', part: 'elastic', count: 1 }),
      expect.objectContaining({ target: 'a', part: 'copies', count: 1 }),
    ]);
    // nothing is held after a flush, and every kept snapshot was written exactly once
    log.flush();
    expect(lines).toHaveLength(4);
  });

  it('write a line once a target has KEPT_PER_LINE kept snapshots, so memory and line size stay bounded', () => {
    const lines: Record<string, unknown>[] = [];
    const log = recordLog((_, f) => lines.push(f));
    for (let i = 0; i < KEPT_PER_LINE * 2 + 1; i++) log.record(rec('kept', 'big', i));
    expect(lines.map((l) => l.count)).toEqual([KEPT_PER_LINE, KEPT_PER_LINE]);
    log.flush();
    expect(lines.map((l) => l.count)).toEqual([KEPT_PER_LINE, KEPT_PER_LINE, 1]);
  });
});
