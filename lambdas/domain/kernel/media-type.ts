/** Strips parameters (`; charset=utf-8`) and case from a media type. */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  // Nearly every request's header is already bare (`text/csv`): then it is its own answer,
  // without the array, trim and lower-casing (on the data plane, twice per request).
  if (isBareMediaType(header)) return header;
  return header.split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** Printable ASCII without upper case, spaces or parameters: what mediaType would leave as it is. */
function isBareMediaType(header: string): boolean {
  for (let i = 0; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (c <= 32 || c === 59 || (c >= 65 && c <= 90) || c > 126) return false;
  }
  return true;
}
