/**
 * Errors a client can see. Each carries the SageMaker error `__type` the service model
 * names and the HTTP status, so one place (the handlers' error middleware) turns any of
 * them into the wire shape SDKs parse into typed exceptions. Anything that is not an
 * ApiError becomes an opaque 500 without leaking its message.
 */
export class ApiError extends Error {
  constructor(
    /** The `__type` / `X-Amzn-ErrorType` code, e.g. `ValidationException`. */
    readonly type: string,
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}

/** Control plane: a request that breaks the model's constraints (SageMaker's common error). */
export class ValidationException extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ValidationException', 400, message, options);
  }
}

export class ResourceNotFound extends ApiError {
  constructor(message: string) {
    super('ResourceNotFound', 400, message);
  }
}

export class ResourceInUse extends ApiError {
  constructor(message: string) {
    super('ResourceInUse', 400, message);
  }
}

export class ResourceLimitExceeded extends ApiError {
  constructor(message: string) {
    super('ResourceLimitExceeded', 400, message);
  }
}

export class ConflictException extends ApiError {
  constructor(message: string) {
    super('ConflictException', 400, message);
  }
}

export class UnknownOperationException extends ApiError {
  constructor(operation: string) {
    super('UnknownOperationException', 400, `Unknown or unsupported operation: ${operation}`);
  }
}

/** Authentication and authorization failures (403), named as AWS names them. */
export class AuthError extends ApiError {
  constructor(
    type:
      | 'MissingAuthenticationTokenException'
      | 'IncompleteSignatureException'
      | 'InvalidSignatureException'
      | 'UnrecognizedClientException'
      | 'AccessDeniedException',
    message: string,
  ) {
    super(type, 403, message);
  }
}

// Data plane (SageMaker Runtime) error shapes.

export class ValidationError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ValidationError', 400, message, options);
  }
}

/** The model failed on valid input. SageMaker answers 424 with the model's message. */
export class ModelError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ModelError', 424, message, options);
  }
}

export class ModelNotReadyException extends ApiError {
  constructor(message: string) {
    super('ModelNotReadyException', 429, message);
  }
}

export class ServiceUnavailable extends ApiError {
  constructor(message: string) {
    super('ServiceUnavailable', 503, message);
  }
}
