#!/usr/bin/env node
/**
 * The operator CLI's entry: `npx backup-orchestrator`. Built into dist/cli.cjs (one file, dependencies
 * included) by `npm run build:cli`, which `prepare` runs on install and before `npm pack`.
 */
import { main } from './main.js';

// The AWS SDK warns on Node 20 that SDK releases after early 2027 will need Node 22. The versions this
// package pins run on Node 20 (see "engines"), so a user of this CLI cannot act on it: keep it quiet.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
