#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart, pretest): when node_modules is missing, or does not
// hold what package-lock.json locks, it installs the locked dependencies with `npm ci` first. So a fresh
// clone needs no other command. Plain Node, no dependencies: it runs before any are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';

import { fileURLToPath } from 'node:url';

const read = (path) => JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8'));
const installedPath = new URL('../node_modules/.package-lock.json', import.meta.url);

/**
 * Why the installed packages (npm's node_modules/.package-lock.json, undefined when node_modules is
 * missing) do not match the lockfile, or undefined when they do.
 */
export function staleReason(lock, installedLock) {
  if (!installedLock) return 'node_modules is missing';
  const installed = installedLock.packages ?? {};
  for (const [path, wanted] of Object.entries(lock.packages ?? {})) {
    if (path === '') continue;
    const have = installed[path];
    // Optional packages for other platforms (esbuild's, for example) are never installed here.
    if (!have) {
      if (wanted.optional || wanted.devOptional) continue;
      return `${path} is missing`;
    }
    if (have.version !== wanted.version) return `${path} is ${have.version}, the lockfile says ${wanted.version}`;
  }
  return undefined;
}

function main() {
  const installed = existsSync(installedPath) ? JSON.parse(readFileSync(installedPath, 'utf8')) : undefined;
  const why = staleReason(read('package-lock.json'), installed);
  if (!why) return;
  process.stderr.write(`dependencies are not installed as locked (${why}): running npm ci (about a minute)\n`);
  // All of npm's output goes to stderr, so `npm start -- --json` keeps stdout for its document; warnings show.
  const r = spawnSync('npm', ['ci', '--loglevel=warn'], {
    stdio: ['ignore', process.stderr, process.stderr],
    cwd: new URL('..', import.meta.url),
  });
  if (r.status !== 0) {
    process.stderr.write(`npm ci failed (exit ${r.status ?? r.signal}): see above\n`);
    process.exit(r.status ?? 1);
  }
}

// Run as a script (not imported by the tests); paths compared for real, as Node resolves symlinks for the module.
if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) main();
