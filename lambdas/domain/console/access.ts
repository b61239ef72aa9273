/**
 * Who may open the console, and how its report links stay signed.
 *
 * A browser cannot sign headers, so the console opens from a presigned URL (SigV4 query
 * authentication, made by `understudy console` with the user's own key). The server cannot
 * presign links for the user (it would need the user's secret), so a report link carries the
 * page's own X-Amz-* parameters: `GET <console>/report?kind=…&name=…&X-Amz-…` is accepted when
 * those parameters are a valid signature of `GET <console>` (nothing else in its query). The
 * signature of the console page thus stands for "read the console as this key until
 * X-Amz-Expires", its reports included, and nothing more: only these two read-only routes take
 * presigned URLs, each report is checked against the key's role again, the expiry is the
 * page's, and a revoked key stops working at once (the key is resolved on every request).
 * A URL presigned for the report itself (its own path and query) is accepted too.
 */
import type { AccessKeyResolver, VerifiedCaller } from '../auth/identity.js';
import { authorize } from '../auth/roles.js';
import { type SignedRequest, verifyPresignedSigV4 } from '../auth/sigv4.js';
import { AuthError, ValidationException } from '../kernel/errors.js';

/** The name the console's permission check and refusals give the request. */
export const CONSOLE_OPERATION = 'Understudy.Console';
const REPORT_SUFFIX = '/report';

export type ConsoleRoute = 'page' | 'report';

/** Which console route a GET path is, if any (`/console`, `/console/report`, under any base path). */
export function consoleRouteOf(method: string, path: string): ConsoleRoute | undefined {
  if (method !== 'GET') return undefined;
  if (/(^|\/)console\/?$/.test(path)) return 'page';
  if (/(^|\/)console\/report\/?$/.test(path)) return 'report';
  return undefined;
}

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  const raw = eq < 0 ? part : part.slice(0, eq);
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** The query's signing parameters (X-Amz-*), as received, in their order. */
export function signingParameters(rawQueryString: string): string {
  return rawQueryString
    .split('&')
    .filter((part) => part !== '' && nameOf(part).startsWith('X-Amz-'))
    .join('&');
}

/** The query's other parameters, decoded (the first of each name). */
export function otherParameters(rawQueryString: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    if (!name.startsWith('X-Amz-') && !params.has(name)) params.set(name, value);
  }
  return params;
}

/** The href of a report from the console page at `consolePath`, carrying the page's signature. */
export function reportHref(consolePath: string, pageQuery: string, kind: string, name: string): string {
  const path = consolePath.replace(/\/$/, '');
  const own = new URLSearchParams({ kind, name }).toString().replaceAll('+', '%20');
  return `${path}${REPORT_SUFFIX}?${own}&${signingParameters(pageQuery)}`;
}

/** When the URL's signature runs out (X-Amz-Date plus X-Amz-Expires), for the page to say so. */
export function expiryOf(rawQueryString: string): Date | undefined {
  const params = new URLSearchParams(rawQueryString);
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('X-Amz-Date') ?? '');
  const expires = Number(params.get('X-Amz-Expires'));
  if (!date || !Number.isFinite(expires)) return undefined;
  const [, y, mo, d, h, mi, s] = date;
  return new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + expires * 1000,
  );
}

/**
 * Verifies a console request (see the module comment) and checks that the key may read:
 * viewer, deployer and admin keys may; invoker keys, which cannot call Describe or List, are
 * refused (AccessDeniedException) rather than shown a partial console.
 */
export async function verifyConsoleRequest(
  route: ConsoleRoute,
  request: SignedRequest,
  keys: AccessKeyResolver,
  now: Date,
): Promise<VerifiedCaller> {
  let caller: VerifiedCaller;
  if (route === 'page') {
    caller = await verifyPresignedSigV4(request, keys, { now });
    const extra = [...otherParameters(request.rawQueryString).keys()];
    // Report links carry the page's signature as a signature of the bare page: one made over
    // more parameters would sign the page but fail on every link.
    if (extra.length > 0) {
      throw new ValidationException(
        `GET /console takes no parameters but its signature's, got: ${extra.join(', ')}.`,
      );
    }
  } else {
    try {
      caller = await verifyPresignedSigV4(request, keys, { now });
    } catch (error) {
      if (!(error instanceof AuthError) || error.type !== 'InvalidSignatureException') throw error;
      const pagePath = request.path.replace(/\/report\/?$/, '');
      const page = { ...request, path: pagePath, rawQueryString: signingParameters(request.rawQueryString) };
      caller = await verifyPresignedSigV4(page, keys, { now });
    }
  }
  authorize(caller, CONSOLE_OPERATION, 'read');
  return caller;
}
