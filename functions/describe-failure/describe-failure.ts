/**
 * Describe Failure: turns the error a run stopped on (as Step Functions hands it to the Catch) into
 * the failure envelope the Fail state shows, with a stable error name.
 */
import { ERROR_CODES, ERROR_NAMES, type ErrorCode, type FailureEnvelope } from '../domain/errors.js';

export interface FailureInput {
  error?: { Error?: string; Cause?: string };
}

const CODE_BY_NAME = new Map(ERROR_CODES.map((c) => [ERROR_NAMES[c], c] as const));

/**
 * Turns a caught error (as Step Functions hands it over) into `{error, cause}` for the Fail state:
 * the error name stays stable for alarms and callers, the cause is the failure envelope as JSON.
 */
export function describeFailure(input: FailureInput): { error: string; cause: string } {
  const name = input.error?.Error ?? 'States.Runtime';
  let message = input.error?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not a Lambda error payload: keep the text as it is
  }
  let code: ErrorCode = CODE_BY_NAME.get(name) ?? 'INTERNAL_ERROR';
  if (name === 'States.Timeout') code = 'DEADLINE_EXCEEDED';
  const envelope: FailureEnvelope = { success: false, error: { code, message: message || name } };
  return { error: CODE_BY_NAME.has(name) ? name : ERROR_NAMES[code], cause: JSON.stringify(envelope) };
}
