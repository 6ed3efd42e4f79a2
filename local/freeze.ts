/**
 * The rehearsal runs the product on frozen values: each step's input and every AWS SDK response are
 * deep-frozen, so a core that mutates its input or an SDK response throws (ES modules are strict)
 * instead of passing by luck. Production does not freeze; the rehearsal and every workflow test do.
 */
import type { Clients } from '../functions/aws/clients.js';

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

type Next = (args: unknown) => Promise<{ output: unknown }>;
interface Stack {
  add(middleware: (next: Next) => Next, options: { step: 'initialize'; name: string }): void;
}

/** Makes every response of the product's clients deep-frozen. */
export function freezeResponses(clients: Clients): void {
  for (const c of [clients.elastic, clients.rds, clients.cloudwatch]) {
    (c.middlewareStack as unknown as Stack).add(
      (next) => async (args) => {
        const out = await next(args);
        deepFreeze(out.output);
        return out;
      },
      { step: 'initialize', name: 'freezeResponses' },
    );
  }
}
