/**
 * Checks on a JSON text made before it is parsed. JSON.parse itself copes with any nesting,
 * but every walk over the result afterwards (validation, schema parsing, error messages,
 * JSON.stringify) recurses and would overflow the stack on a body like `[[[[…]]]]` a hundred
 * thousand deep: a client's mistake must not become a 500, so such bodies are refused first.
 */

/**
 * The deepest nesting of arrays and objects in `text`, scanning at most until `limit` is
 * exceeded (then `limit + 1`). Brackets inside strings do not count. Linear, no allocation.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = endOfString(text, i);
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The index of the quote closing the string opened at `start` (the text's end if none). */
function endOfString(text: string, start: number): number {
  // indexOf skips a long string's content natively; a quote after an odd run of backslashes is escaped.
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}
