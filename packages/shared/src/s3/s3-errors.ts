/**
 * Which S3 failures are transient, and what to tell people about the others. Errors from the
 * SDK carry a `name` (the S3 error code, e.g. NoSuchBucket), `$metadata.httpStatusCode`, or,
 * for network failures, a Node `code` (possibly on an AggregateError's members or a cause).
 */

/** Network and protocol codes worth retrying: the store is down, restarting or overloaded. */
const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  // Node socket and DNS errors
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET',
  // SDK and S3 error names
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException',
  'TooManyRequestsException', 'InternalError', 'ServiceUnavailable', 'ServiceUnavailableException',
]);

/** HTTP statuses worth retrying: timeouts, throttling and server errors. */
const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Codes that mean the endpoint could not be reached at all. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'TimeoutError', 'EPIPE', 'UND_ERR_SOCKET']);

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  errors?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Every code found on the error, its AggregateError members and its causes. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const e = error as ErrorLike;
  const codes: string[] = [];
  if (typeof e.code === 'string') codes.push(e.code);
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'AggregateError') codes.push(e.name);
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...errorCodes(inner, depth + 1));
  if (e.cause !== undefined) codes.push(...errorCodes(e.cause, depth + 1));
  return codes;
}

export function httpStatus(error: unknown): number | undefined {
  const status = (error as ErrorLike | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isRetryableS3Error(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined && RETRYABLE_HTTP_STATUSES.has(status)) return true;
  return errorCodes(error).some((code) => RETRYABLE_ERROR_CODES.has(code));
}

export function isUnreachable(error: unknown): boolean {
  return errorCodes(error).some((code) => UNREACHABLE_CODES.has(code));
}

export function isCredentialError(error: unknown): boolean {
  return errorCodes(error).some((code) => CREDENTIAL_CODES.has(code));
}

export function primaryCode(error: unknown): string | undefined {
  const codes = errorCodes(error);
  return codes.find((code) => RETRYABLE_ERROR_CODES.has(code) || CREDENTIAL_CODES.has(code)) ?? codes[0];
}

/** Whether the error says the object (or bucket) is not there: 404 NoSuchKey / NotFound. */
export function isNotFound(error: unknown): boolean {
  const codes = errorCodes(error);
  return codes.includes('NoSuchKey') || codes.includes('NotFound') || (httpStatus(error) === 404 && !codes.includes('NoSuchBucket'));
}

export function isNoSuchBucket(error: unknown): boolean {
  return errorCodes(error).includes('NoSuchBucket');
}
