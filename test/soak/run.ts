/**
 * `npm run soak -- [--seed N] [--days N]`: the long seeded soak (default 320 daily runs). Prints one line
 * per run and every discrepancy with the seed and day that replay it; exits 1 on any.
 */
import { parseArgs } from 'node:util';
import { soak } from './soak.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '20261130' }, days: { type: 'string', default: '320' } } });
const seed = Number(values.seed);
const days = Number(values.days);
const started = Date.now();
const bad = await soak(seed, days, (d) => {
  const s = d.envelope?.data.summary;
  process.stdout.write(
    `day ${String(d.day).padStart(3)}: ${d.envelope?.data.status ?? 'FAILED'} created ${s?.created ?? '-'} copied ${s?.copied ?? '-'} deleted ${s?.deleted ?? '-'} kept ${s?.kept ?? '-'} tagged ${s?.tagged ?? '-'} failed ${s?.failed ?? '-'}; faults ${d.faults.length}${Object.keys(d.crashes).length ? `, crash in ${Object.keys(d.crashes).join(', ')}` : ''}${d.discrepancies.length ? `  <-- ${d.discrepancies.join('; ')}` : ''}\n`,
  );
});
process.stdout.write(`\n${days} runs, seed ${seed}, ${bad.length} with discrepancies, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
for (const d of bad)
  process.stdout.write(`replay: npm run soak -- --seed ${seed} --days ${d.day + 1}   (day ${d.day}: ${d.discrepancies.join('; ')})\n`);
process.exitCode = bad.length > 0 ? 1 : 0;
