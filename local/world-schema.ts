/** The world file's JSON Schema, generated from the same zod schema the stand-in validates with. */
import * as z from 'zod';
import { worldSchema } from './standin/world.js';

export function worldJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(worldSchema, { io: 'input' }),
    $id: 'https://github.com/backup-orchestrator/backup-orchestrator/local/world.schema.json',
    title: 'backup-orchestrator stand-in world',
    description:
      'What the local AWS stand-in holds at the start of a rehearsal (npm start --world FILE), and what --save-world writes back.',
  };
}

if (process.argv[1]?.endsWith('world-schema.ts')) {
  process.stdout.write(`${JSON.stringify(worldJsonSchema(), null, 2)}\n`);
}
