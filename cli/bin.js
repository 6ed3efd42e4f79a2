#!/usr/bin/env node
// backup-orchestrator CLI: loads the TypeScript sources through tsx (a dev dependency of the clone).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
