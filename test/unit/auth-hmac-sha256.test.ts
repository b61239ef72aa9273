import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from '../../lambdas/domain/auth/hmac-sha256.js';
import { seeded } from '../support/seeded-random.js';

/** The reference is node:crypto's own HMAC (OpenSSL), computed independently of the hand-written one. */
const reference = (key: Uint8Array, message: string) =>
  createHmac('sha256', key).update(message).digest('hex');

function bytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe('hmacSha256', () => {
  it('matches RFC 4231 test case 2 (a short key)', () => {
    const mac = hmacSha256(Buffer.from('Jefe')).digestHex('what do ya want for nothing?');
    expect(mac).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('matches RFC 4231 test case 6 (a key longer than the block, hashed first)', () => {
    const key = new Uint8Array(131).fill(0xaa);
    const mac = hmacSha256(key).digestHex('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(mac).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  it('matches createHmac on random keys and messages, the same key reused, messages growing', () => {
    const random = seeded(1604);
    for (let k = 0; k < 20; k++) {
      const key = bytes(random, [0, 1, 32, 63, 64, 65, 200][k % 7] as number);
      const mac = hmacSha256(key);
      for (let m = 0; m < 25; m++) {
        const length = Math.floor(random() * 40 * (m + 1));
        const message = Array.from({ length }, () =>
          String.fromCharCode(32 + Math.floor(random() * 95)),
        ).join('');
        expect(mac.digestHex(message)).toBe(reference(key, message));
      }
    }
  });

  it('digests a message as its UTF-8 bytes (characters beyond ASCII, astral ones included)', () => {
    const key = Buffer.from('sigv4-signing-key-of-thirty-two!');
    const mac = hmacSha256(key);
    for (const message of ['', 'é', 'région/€/aws4_request', '😀'.repeat(300), 'x'.repeat(5000)]) {
      expect(mac.digestHex(message)).toBe(reference(key, message));
    }
  });
});
