import { ValidationError } from '../kernel/errors.js';

/**
 * InvokeEndpoint's URI and header members with the length and pattern constraints of the
 * SageMaker Runtime service model (botocore's sagemaker-runtime 2017-05-13; the unit tests hold
 * this table to it through test/fixtures/runtime/invoke-endpoint-constraints.json). The model's
 * patterns are Java regular expressions matched against the whole value; each is written here
 * as the JavaScript expression that accepts the same strings (`\p{ASCII}`, `\p{Print}` are
 * US-ASCII classes in Java; `\S` and `.` exclude Java's whitespace and line terminators).
 */
interface MemberConstraint {
  /** As SageMaker names the member in its messages (lower camel case). */
  readonly field: string;
  /** The lower-case header name; absent for the URI's EndpointName. */
  readonly header?: string;
  readonly min?: number;
  readonly max: number;
  /** The pattern as the service model writes it (shown in the error message, as SageMaker shows it). */
  readonly modelPattern: string;
  readonly pattern: RegExp;
  /** Sensitive members' values are never echoed in a message. */
  readonly sensitive?: boolean;
}

const NAME = '^[a-zA-Z0-9](-*[a-zA-Z0-9])*';
const NAME_PATTERN = /^[a-zA-Z0-9](?:-*[a-zA-Z0-9])*$/;
const ASCII = '\\p{ASCII}*';
// Nothing above U+007F (written so, rather than as the range from U+0000, for the linter's sake).
const ASCII_PATTERN = /^[^\u0080-\uFFFF]*$/;
const PRINTABLE = '\\A\\S[\\p{Print}]*\\z';
const PRINTABLE_PATTERN = /^[^ \t\n\v\f\r][ -~]*$/;

export const INVOKE_ENDPOINT_CONSTRAINTS = {
  EndpointName: { field: 'endpointName', max: 63, modelPattern: NAME, pattern: NAME_PATTERN },
  ContentType: {
    field: 'contentType',
    header: 'content-type',
    max: 1024,
    modelPattern: ASCII,
    pattern: ASCII_PATTERN,
  },
  Accept: { field: 'accept', header: 'accept', max: 1024, modelPattern: ASCII, pattern: ASCII_PATTERN },
  CustomAttributes: {
    field: 'customAttributes',
    header: 'x-amzn-sagemaker-custom-attributes',
    max: 1024,
    modelPattern: ASCII,
    pattern: ASCII_PATTERN,
    sensitive: true,
  },
  TargetModel: {
    field: 'targetModel',
    header: 'x-amzn-sagemaker-target-model',
    min: 1,
    max: 1024,
    modelPattern: PRINTABLE,
    pattern: PRINTABLE_PATTERN,
  },
  TargetVariant: {
    field: 'targetVariant',
    header: 'x-amzn-sagemaker-target-variant',
    max: 63,
    modelPattern: NAME,
    pattern: NAME_PATTERN,
  },
  TargetContainerHostname: {
    field: 'targetContainerHostname',
    header: 'x-amzn-sagemaker-target-container-hostname',
    max: 63,
    modelPattern: NAME,
    pattern: NAME_PATTERN,
  },
  InferenceId: {
    field: 'inferenceId',
    header: 'x-amzn-sagemaker-inference-id',
    min: 1,
    max: 64,
    modelPattern: PRINTABLE,
    pattern: PRINTABLE_PATTERN,
  },
  EnableExplanations: {
    field: 'enableExplanations',
    header: 'x-amzn-sagemaker-enable-explanations',
    min: 1,
    max: 64,
    modelPattern: '.*',
    pattern: /^[^\n\r\u0085\u2028\u2029]*$/,
  },
  InferenceComponentName: {
    field: 'inferenceComponentName',
    header: 'x-amzn-sagemaker-inference-component',
    max: 63,
    modelPattern: '^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$',
    pattern: /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/,
  },
  SessionId: {
    field: 'sessionId',
    header: 'x-amzn-sagemaker-session-id',
    max: 256,
    modelPattern: '^(NEW_SESSION)$|^[a-zA-Z0-9](-*[a-zA-Z0-9])*$',
    pattern: /^(?:NEW_SESSION|[a-zA-Z0-9](?:-*[a-zA-Z0-9])*)$/,
  },
  PrefixAwareId: {
    field: 'prefixAwareId',
    header: 'x-amzn-sagemaker-prefix-aware-id',
    min: 1,
    max: 64,
    modelPattern: PRINTABLE,
    pattern: PRINTABLE_PATTERN,
  },
} as const satisfies Record<string, MemberConstraint>;

const HEADER_MEMBERS: readonly MemberConstraint[] = Object.values(INVOKE_ENDPOINT_CONSTRAINTS).filter(
  (m: MemberConstraint) => m.header !== undefined,
);

/**
 * Checks the endpoint name and the InvokeEndpoint headers that are present against the service
 * model, and refuses the request with SageMaker's ValidationError (400), every violation in
 * one message as SageMaker words it ("2 validation errors detected: Value '…' at 'inferenceId'
 * failed to satisfy constraint: Member must have length less than or equal to 64; …"). On the
 * request path: a length comparison and one anchored expression per header sent.
 */
export function checkInvokeEndpointInput(
  endpointName: string,
  headers: Readonly<Record<string, string | undefined>>,
): void {
  let violations: string[] | undefined;
  const endpoint = violation(INVOKE_ENDPOINT_CONSTRAINTS.EndpointName, endpointName);
  if (endpoint !== undefined) violations = [endpoint];
  for (const member of HEADER_MEMBERS) {
    const value = headers[member.header as string];
    if (value === undefined) continue;
    const found = violation(member, value);
    if (found === undefined) continue;
    violations ??= [];
    violations.push(found);
  }
  if (violations !== undefined) {
    const count = violations.length;
    throw new ValidationError(
      `${count} validation error${count === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
    );
  }
}

function violation(member: MemberConstraint, value: string): string | undefined {
  let constraint: string | undefined;
  if (member.min !== undefined && value.length < member.min) {
    constraint = `Member must have length greater than or equal to ${member.min}`;
  } else if (value.length > member.max) {
    constraint = `Member must have length less than or equal to ${member.max}`;
  } else if (!member.pattern.test(value)) {
    constraint = `Member must satisfy regular expression pattern: ${member.modelPattern}`;
  }
  if (constraint === undefined) return undefined;
  const shown = member.sensitive
    ? 'Value'
    : `Value '${value.length > 100 ? `${value.slice(0, 100)}…` : value}'`;
  return `${shown} at '${member.field}' failed to satisfy constraint: ${constraint}`;
}
