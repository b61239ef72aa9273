/**
 * The CLI's exit codes (documented in docs/cli.md and `understudy --help`): a script can tell
 * "you typed it wrong" from "it does not exist" from "the platform said no" from "the
 * platform is not there" without parsing messages.
 */
export const EXIT = {
  ok: 0,
  /** Anything unexpected (a bug, an emulator's 5xx). */
  failure: 1,
  /** Bad arguments or options: nothing was sent. */
  usage: 2,
  /** The platform refused the request: ValidationException, ConflictException, ResourceInUse... */
  rejected: 3,
  /** The named resource does not exist. */
  notFound: 4,
  /** The credentials were refused or do not allow the operation. */
  denied: 5,
  /** The platform could not be reached (not running, wrong endpoint). */
  unreachable: 6,
  /** What the command waited for ended badly (a job Failed, an endpoint Failed) or the wait timed out. */
  waitFailed: 7,
  /** This deployment does not implement the operation (UnknownOperationException). */
  unsupported: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as it is, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const NOT_FOUND = /^(ResourceNotFound|NoSuchKey|NotFound)/;
const DENIED =
  /^(AccessDenied|UnrecognizedClient|InvalidSignature|IncompleteSignature|SignatureDoesNotMatch|InvalidClientTokenId|ExpiredToken|CredentialsProviderError)/;
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|fetch failed|socket hang up/;

/** The exit code and the message an error is reported with. */
export function classify(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  const code = `${e?.code ?? ''} ${e?.cause?.code ?? ''} ${message}`;
  if (name === 'UnknownOperationException') {
    return { exitCode: EXIT.unsupported, message: `${name}: ${message}` };
  }
  // SageMaker answers a missing model or endpoint with ValidationException "Could not find ...".
  if (
    NOT_FOUND.test(name) ||
    (name === 'ValidationException' && /^Could not find|does not exist\.?$/i.test(message))
  ) {
    return { exitCode: EXIT.notFound, message: `${name}: ${message}` };
  }
  if (DENIED.test(name)) return { exitCode: EXIT.denied, message: `${name}: ${message}` };
  if (UNREACHABLE.test(code)) {
    return {
      exitCode: EXIT.unreachable,
      message: `cannot reach Understudy (${message.trim()}): is it running? try: understudy status`,
    };
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { exitCode: EXIT.rejected, message: `${name}: ${message}` };
  }
  if (status === undefined && /^(Validation|Conflict|ResourceInUse|ResourceLimitExceeded)/.test(name)) {
    return { exitCode: EXIT.rejected, message: `${name}: ${message}` };
  }
  return { exitCode: EXIT.failure, message: name && name !== 'Error' ? `${name}: ${message}` : message };
}
