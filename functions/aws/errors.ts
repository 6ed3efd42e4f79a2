/**
 * The one table that maps AWS's exceptions (docdb-elastic, RDS, Step Functions, STS,
 * CloudFormation, the SDK's transport) onto the product's named errors.
 */
import { type ErrorCode, errorFor, OrchestratorError, ValidationError } from '../domain/errors.js';

/**
 * AWS error name -> stable code. docdb-elastic's seven modelled exceptions and the RDS faults
 * the product can meet; anything unknown falls back on the HTTP status, then INTERNAL_ERROR.
 */
const AWS_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
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
  DBInstanceNotFoundFault: 'NOT_FOUND',
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

const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  429: 'THROTTLING',
  402: 'SERVICE_QUOTA_EXCEEDED',
  403: 'ACCESS_DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

/** Maps any thrown value onto a named error; `context` says what was being done. */
export function toOrchestratorError(err: unknown, context?: string): OrchestratorError {
  if (err instanceof OrchestratorError) return err;
  const prefix = context ? `${context}: ` : '';
  const name = errorName(err);
  // CloudFormation answers a missing stack with its own ValidationError (an AWS error, not ours)
  if (name === 'ValidationError') return new ValidationError(`${prefix}${(err as Error).message}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  const status = httpStatus(err);
  const code = AWS_ERROR_CODES[name] ?? (status === undefined ? undefined : BY_STATUS[status]) ?? 'INTERNAL_ERROR';
  return errorFor(code, `${prefix}${name}: ${message}`, { cause: err });
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

/** How many attempts the SDK made for a call that failed (more than one: an earlier attempt may have landed). */
export function sdkAttempts(err: unknown): number {
  const md = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata;
  return md?.attempts ?? 1;
}

/** The call's answer, or undefined when what it names does not exist (any more): a NOT_FOUND of the table. */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (toOrchestratorError(err).code === 'NOT_FOUND') return undefined;
    throw err;
  }
}
