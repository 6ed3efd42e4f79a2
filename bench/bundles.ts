/** Each function bundled as serverless-esbuild does, its size, and its module initialisation time. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FUNCTION_KEYS } from '../functions/domain/deploy.js';

/** Every function of serverless.yml: its folder is the kebab case of its key. */
const FUNCTIONS: Record<string, string> = Object.fromEntries(
  FUNCTION_KEYS.map((k) => [k, `functions/${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}/handler.ts`]),
);

export async function measureBundles(): Promise<{ function: string; bytes: number; initMs: number }[]> {
  const root = new URL('..', import.meta.url).pathname;
  const out = mkdtempSync(join(tmpdir(), 'bo-bundles-'));
  const rows = [];
  for (const [fn, entry] of Object.entries(FUNCTIONS)) {
    const file = join(out, `${fn}.cjs`);
    await build({
      entryPoints: [join(root, entry)],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      mainFields: ['module', 'main'],
      outfile: file,
      logLevel: 'silent',
    });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      times.push(Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })));
    }
    times.sort((a, b) => a - b);
    rows.push({ function: fn, bytes: statSync(file).size, initMs: Math.round((times[2] ?? 0) * 10) / 10 });
  }
  return rows;
}
