/**
 * The short soak (the long one is `npm run soak`, which .ci/run calls): consecutive daily runs with
 * random faults, each compared with the stand-in's ground truth. See test/soak/soak.ts.
 */
import { describe, expect, it } from 'vitest';
import { soak } from '../soak/soak.js';

describe('soak', () => {
  it('reports exactly what the stand-in saw, day after day, under random faults (seed 7, 40 days)', async () => {
    const bad = await soak(7, 40);
    expect(
      bad.map(
        (d) =>
          `seed 7 day ${d.day} (faults ${JSON.stringify(d.faults)}, crashes ${JSON.stringify(d.crashes)}): ${d.discrepancies.join('; ')}`,
      ),
    ).toEqual([]);
  }, 120_000);
});
