/** One line of live progress for `npm start` and `start --follow`: both parts and the failures so far. */
import type { Progress } from '../functions/domain/run.js';

export function progressLine(p: Progress): string {
  const parts: string[] = [`check ${p.iteration}:`];
  if (p.elastic.stage !== 'off') {
    const e = p.elastic;
    const started = e.created + e.adopted;
    const more = e.cursor !== undefined ? '+' : '';
    const retry = e.retry.length > 0 ? `, ${e.retry.length} to retry` : '';
    parts.push(`elastic ${started}/${e.targets}${more} started, ${e.pending} creating${retry}${e.stage === 'active' ? '' : ' (done)'};`);
  }
  if (p.copies.stage !== 'off') {
    const c = p.copies;
    parts.push(
      `copies ${c.copied}/${c.copied + c.inFlight.length + c.queued} done, ${c.inFlight.length} copying, ${c.queued} queued${c.stage === 'active' ? '' : ' (done)'};`,
    );
  }
  parts.push(`${p.log.failureCount} failed`);
  return parts.join(' ');
}
