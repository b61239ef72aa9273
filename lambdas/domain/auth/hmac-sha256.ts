import * as crypto from 'node:crypto';
import { createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 (RFC 2104) for a key used many times: the key's inner and outer padded blocks
 * are computed once, and each message then costs two one-shot `crypto.hash` calls. Written
 * by hand because `createHmac` builds an Hmac object and imports the key on every call, which
 * took ~3 µs a request, the largest single cost of SigV4 verification on the data plane (one
 * HMAC per request, with the cached signing key); the construction is the RFC's, checked
 * against `createHmac` in the unit tests. Nodes without `crypto.hash` (before 20.12) use
 * `createHmac`.
 */
export interface HmacSha256 {
  /** The MAC of `message` (its UTF-8 bytes), as 64 lower-case hex digits. */
  digestHex(message: string): string;
}

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * Digests come back as strings: `crypto.hash` takes ~1.3 µs more to return a Buffer than a
 * string (Node 20.20), so the inner digest travels as a latin1 string (one char per byte).
 */
const oneShotHash = (
  crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex' | 'latin1') => string }
).hash;

export function hmacSha256(key: Uint8Array): HmacSha256 {
  if (!oneShotHash) {
    const copy = Buffer.from(key);
    return { digestHex: (message) => createHmac('sha256', copy).update(message).digest('hex') };
  }
  const hash = oneShotHash;
  // Keys longer than a block are hashed first (RFC 2104, section 2); SigV4's are 32 bytes.
  const block = Buffer.alloc(BLOCK_BYTES);
  if (key.byteLength > BLOCK_BYTES) block.write(hash('sha256', key, 'latin1'), 'latin1');
  else block.set(key);
  const inner = Buffer.allocUnsafe(BLOCK_BYTES);
  // The outer input is the outer block and then the inner digest, written into its tail per call.
  const outer = Buffer.allocUnsafe(BLOCK_BYTES + DIGEST_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    inner[i] = (block[i] as number) ^ IPAD;
    outer[i] = (block[i] as number) ^ OPAD;
  }
  let input = Buffer.allocUnsafe(BLOCK_BYTES + 512);
  inner.copy(input, 0);
  return {
    digestHex(message) {
      // At most 3 UTF-8 bytes per UTF-16 unit; the scratch input grows to fit, and starts with
      // the inner block. Synchronous to the return, so the shared buffers are never seen half-written.
      const room = BLOCK_BYTES + message.length * 3;
      if (input.length < room) {
        input = Buffer.allocUnsafe(Math.max(room, 2 * input.length));
        inner.copy(input, 0);
      }
      const length = input.write(message, BLOCK_BYTES, 'utf8');
      outer.write(hash('sha256', input.subarray(0, BLOCK_BYTES + length), 'latin1'), BLOCK_BYTES, 'latin1');
      return hash('sha256', outer, 'hex');
    },
  };
}
