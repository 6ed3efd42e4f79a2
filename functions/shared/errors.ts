/**
 * Stable error codes and the one place where AWS errors are mapped onto them.
 * The state machine's Retry/Catch match on the error *names* below.
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

/** Error names (errorType in Lambda) by code: what Retry/Catch in the ASL match. */
export const ERROR_NAMES: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'ValidationError',
  ACCESS_DENIED: 'AccessDeniedError',
  NOT_FOUND: 'NotFoundError',
  CONFLICT: 'ConflictError',
  SERVICE_QUOTA_EXCEEDED: 'ServiceQuotaExceededError',
  THROTTLING: 'ThrottlingError',
  INTERNAL_ERROR: 'InternalError',
  KMS_KEY_NOT_ACCESSIBLE: 'KmsKeyNotAccessibleError',
  DEADLINE_EXCEEDED: 'DeadlineExceededError',
};

/** An error with a stable code. Its `name` is what Step Functions sees as the error. */
export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = ERROR_NAMES[code];
  }

  /** The seed envelope for a failure. */
  toEnvelope(): FailureEnvelope {
    return { success: false, error: { code: this.code, message: this.message } };
  }
}

export class ValidationError extends OrchestratorError {
  constructor(message: string, options?: ErrorOptions) {
    super('VALIDATION_ERROR', message, options);
  }
}

export interface FailureEnvelope {
  success: false;
  error: { code: ErrorCode; message: string };
}

/**
 * AWS error name -> stable code. docdb-elastic's seven modelled exceptions and the RDS faults
 * the product can meet; anything unknown is INTERNAL_ERROR.
 */
const AWS_ERROR_CODES: Record<string, ErrorCode> = {
  // docdb-elastic (REST-JSON)
  ValidationException: 'VALIDATION_ERROR',
  AccessDeniedException: 'ACCESS_DENIED',
  ResourceNotFoundException: 'NOT_FOUND',
  ConflictException: 'CONFLICT',
  ServiceQuotaExceededException: 'SERVICE_QUOTA_EXCEEDED',
  ThrottlingException: 'THROTTLING',
  InternalServerException: 'INTERNAL_ERROR',
  // RDS (query)
  DBClusterSnapshotAlreadyExistsFault: 'CONFLICT',
  DBClusterSnapshotNotFoundFault: 'NOT_FOUND',
  DBClusterNotFoundFault: 'NOT_FOUND',
  DBSnapshotNotFoundFault: 'NOT_FOUND',
  InvalidDBClusterSnapshotStateFault: 'CONFLICT',
  InvalidDBClusterStateFault: 'CONFLICT',
  SnapshotQuotaExceededFault: 'SERVICE_QUOTA_EXCEEDED',
  SnapshotQuotaExceeded: 'SERVICE_QUOTA_EXCEEDED',
  KMSKeyNotAccessibleFault: 'KMS_KEY_NOT_ACCESSIBLE',
  Throttling: 'THROTTLING',
  RequestLimitExceeded: 'THROTTLING',
  AccessDenied: 'ACCESS_DENIED',
  UnauthorizedOperation: 'ACCESS_DENIED',
  InvalidParameterValue: 'VALIDATION_ERROR',
  InvalidParameterCombination: 'VALIDATION_ERROR',
  // Step Functions, STS, CloudFormation (the CLI)
  ExecutionDoesNotExist: 'NOT_FOUND',
  StateMachineDoesNotExist: 'NOT_FOUND',
  ExecutionAlreadyExists: 'CONFLICT',
  ExecutionLimitExceeded: 'SERVICE_QUOTA_EXCEEDED',
  InvalidArn: 'VALIDATION_ERROR',
  InvalidExecutionInput: 'VALIDATION_ERROR',
  InvalidName: 'VALIDATION_ERROR',
  ExpiredTokenException: 'ACCESS_DENIED',
  InvalidClientTokenId: 'ACCESS_DENIED',
  CredentialsProviderError: 'ACCESS_DENIED',
  // transport
  TimeoutError: 'INTERNAL_ERROR',
};

const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['THROTTLING', 'INTERNAL_ERROR']);

/** Maps any thrown value onto a stable code and message. */
export function toOrchestratorError(err: unknown, context?: string): OrchestratorError {
  if (err instanceof OrchestratorError) return err;
  const name = errorName(err);
  // CloudFormation answers a missing stack with its own ValidationError (an AWS error, not ours)
  if (name === 'ValidationError') return new OrchestratorError('VALIDATION_ERROR', `${context ? `${context}: ` : ''}${(err as Error).message}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  const status = httpStatus(err);
  let code = AWS_ERROR_CODES[name];
  if (!code) {
    if (status === 429) code = 'THROTTLING';
    else if (status === 402) code = 'SERVICE_QUOTA_EXCEEDED';
    else if (status === 403) code = 'ACCESS_DENIED';
    else if (status === 404) code = 'NOT_FOUND';
    else if (status === 409) code = 'CONFLICT';
    else code = 'INTERNAL_ERROR';
  }
  const prefix = context ? `${context}: ` : '';
  return new OrchestratorError(code, `${prefix}${name}: ${message}`, { cause: err });
}

/** True for errors a later attempt can cure (throttling, 5xx, connection trouble). */
export function isTransient(code: ErrorCode): boolean {
  return TRANSIENT.has(code);
}

export function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; Code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.Code === 'string') return e.Code;
  }
  return 'Error';
}

function httpStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && '$metadata' in err) {
    const md = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return md?.httpStatusCode;
  }
  return undefined;
}
