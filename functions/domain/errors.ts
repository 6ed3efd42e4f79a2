/**
 * The product's stable error codes, one named error class per code. A class's name is the error
 * name Step Functions sees (Lambda's errorType), so the definition's Retry and Catch match on these
 * names; a unit test checks that every name the definition uses is one of them. Every error can
 * carry the error that caused it (`cause`). Mapping AWS's exceptions onto these lives in
 * functions/aws/errors.ts.
 */

export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'CONFLICT',
  'SERVICE_QUOTA_EXCEEDED',
  'THROTTLING',
  'INTERNAL_ERROR',
  'KMS_KEY_NOT_ACCESSIBLE',
  'DEADLINE_EXCEEDED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FailureEnvelope {
  success: false;
  error: { code: ErrorCode; message: string };
}

/** The base of every error the product raises on purpose. Use one of the named subclasses. */
export abstract class OrchestratorError extends Error {
  abstract readonly code: ErrorCode;

  /** The seed envelope for a failure. */
  toEnvelope(): FailureEnvelope {
    return { success: false, error: { code: this.code, message: this.message } };
  }
}

/** Bad input: a policy, an execution input, a parameter AWS rejected. Retrying cannot help. */
export class ValidationError extends OrchestratorError {
  readonly code = 'VALIDATION_ERROR';
  override readonly name = 'ValidationError';
}
/** The role lacks a permission, or the credentials are wrong or expired. */
export class AccessDeniedError extends OrchestratorError {
  readonly code = 'ACCESS_DENIED';
  override readonly name = 'AccessDeniedError';
}
/** The resource does not exist (any more). */
export class NotFoundError extends OrchestratorError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}
/** The resource exists already, or is in a state that forbids the call. */
export class ConflictError extends OrchestratorError {
  readonly code = 'CONFLICT';
  override readonly name = 'ConflictError';
}
/** An account quota is reached (snapshots per region, executions). */
export class ServiceQuotaExceededError extends OrchestratorError {
  readonly code = 'SERVICE_QUOTA_EXCEEDED';
  override readonly name = 'ServiceQuotaExceededError';
}
/** AWS asked us to slow down. Transient. */
export class ThrottlingError extends OrchestratorError {
  readonly code = 'THROTTLING';
  override readonly name = 'ThrottlingError';
}
/** A 5xx, a timeout or connection trouble, or anything unknown. Transient. */
export class InternalError extends OrchestratorError {
  readonly code = 'INTERNAL_ERROR';
  override readonly name = 'InternalError';
}
/** The KMS key a copy needs is missing, disabled or not granted to this account. */
export class KmsKeyNotAccessibleError extends OrchestratorError {
  readonly code = 'KMS_KEY_NOT_ACCESSIBLE';
  override readonly name = 'KmsKeyNotAccessibleError';
}
/** An operation did not finish before its deadline. */
export class DeadlineExceededError extends OrchestratorError {
  readonly code = 'DEADLINE_EXCEEDED';
  override readonly name = 'DeadlineExceededError';
}

const CLASSES: Record<ErrorCode, new (message: string, options?: ErrorOptions) => OrchestratorError> = {
  VALIDATION_ERROR: ValidationError,
  ACCESS_DENIED: AccessDeniedError,
  NOT_FOUND: NotFoundError,
  CONFLICT: ConflictError,
  SERVICE_QUOTA_EXCEEDED: ServiceQuotaExceededError,
  THROTTLING: ThrottlingError,
  INTERNAL_ERROR: InternalError,
  KMS_KEY_NOT_ACCESSIBLE: KmsKeyNotAccessibleError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
};

/** The named error for a code. */
export function errorFor(code: ErrorCode, message: string, options?: ErrorOptions): OrchestratorError {
  return new CLASSES[code](message, options);
}

/** Error names (Lambda's errorType) by code: what Retry and Catch in the definition match. */
export const ERROR_NAMES = Object.fromEntries(ERROR_CODES.map((c) => [c, CLASSES[c].name])) as Record<ErrorCode, string>;

const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['THROTTLING', 'INTERNAL_ERROR']);

/** True for errors a later attempt can cure (throttling, 5xx, connection trouble). */
export function isTransient(code: ErrorCode): boolean {
  return TRANSIENT.has(code);
}
