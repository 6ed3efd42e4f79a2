/**
 * The examples in docs/rehearsal.md are real output: each block after an `<!-- example: ... -->` marker
 * is produced here by running the commands it shows, and compared. A difference fails with the real
 * output, to paste into the docs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { controlPlane } from '../../local/standin/services/sfn.js';
import { type StandIn, startStandIn } from '../../local/standin/server.js';
import { examplePolicies, exampleWorld } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DOC = readFileSync(`${ROOT}docs/rehearsal.md`, 'utf8');

/** The fenced block after `<!-- example: name -->`. */
function example(name: string): string {
  const at = DOC.indexOf(`<!-- example: ${name} -->`);
  expect(at, `docs/rehearsal.md has an example "${name}"`).toBeGreaterThan(-1);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(DOC.slice(at));
  return (m?.[1] ?? '').trimEnd();
}

/** The part of a JSON value a jq path such as .data.plan names. */
function jqPath(value: unknown, path: string): unknown {
  return path
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

describe('docs/rehearsal.md', () => {
  it('shows npm start -- --help as it is', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(example('npm start -- --help')).toBe(r.stdout.trimEnd());
  });

  describe('the operator session', () => {
    let standIn: StandIn | undefined;
    let control: ReturnType<typeof controlPlane> | undefined;
    afterEach(async () => {
      await control?.done();
      await standIn?.close();
    });

    it('prints what the docs show, command by command', async () => {
      const lines = example('operator session').split('\n');
      // 1. What --serve prints (the port is whatever was free).
      const serveAt = lines.indexOf('$ npm start -- --serve');
      const serveShown = lines.slice(
        serveAt + 1,
        lines.findIndex((l, i) => i > serveAt && l.startsWith('$ ')),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--serve', '--port', '0'], { cwd: ROOT });
      let served = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          served += String(d);
          if (served.includes('plan --policy')) resolve();
        });
        child.on('exit', () => reject(new Error(`--serve exited: ${served}`)));
      });
      child.kill('SIGINT');
      expect(
        served
          .trimEnd()
          .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:4510')
          .split('\n'),
      ).toEqual(serveShown);

      // 2. The CLI commands, in-process, against a stand-in serving the same world.
      control = controlPlane({ policyFile: examplePolicies(), stackName: 'backup-orchestrator-local', standIn: () => standIn as StandIn });
      standIn = await startStandIn(exampleWorld(), control);
      process.env.AWS_ENDPOINT_URL = standIn.url;
      process.env.AWS_REGION = 'us-east-1';
      process.env.AWS_ACCESS_KEY_ID = 'AKIASTANDIN';
      process.env.AWS_SECRET_ACCESS_KEY = 'standin';
      let commands = 0;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        if (!line.startsWith('$ npx backup-orchestrator ')) continue;
        const shown: string[] = [];
        for (let j = i + 1; j < lines.length && !(lines[j] as string).startsWith('$ '); j++) shown.push(lines[j] as string);
        const [command, ...filters] = line.slice('$ npx backup-orchestrator '.length).split(' | ');
        const argv = (command as string).replace(' 2>/dev/null', '').split(' ');
        const out: string[] = [];
        await main(argv, { out: (l) => out.push(l), err: () => undefined, sleep: () => new Promise((r) => setTimeout(r, 5)) });
        let result = out;
        for (const f of filters) {
          if (f === 'tail -1') result = result.slice(-1);
          else if (f.startsWith('jq -c ')) result = result.map((l) => JSON.stringify(jqPath(JSON.parse(l), f.slice(6))));
          else if (f.startsWith('jq -r ')) result = result.map((l) => String(jqPath(JSON.parse(l), f.slice(6))));
          else throw new Error(`unknown filter in docs: ${f}`);
        }
        expect(result, line).toEqual(shown);
        commands++;
      }
      expect(commands).toBeGreaterThanOrEqual(3);
    });
  });
});
