/** Strips parameters (`; charset=utf-8`) and case from a media type. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}
