import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signs and checks short payloads (capability grants, approval links). */
export interface HmacSigner {
  sign(data: string): Promise<string>;
  verify(data: string, signature: string): Promise<boolean>;
}

/**
 * HMAC-SHA256 with a key fetched once, lazily (a cold start does not wait on it), compared in
 * constant time. The MAC covers `purpose` as well as the data, so a value signed for one use
 * never verifies as another even if two uses ever share a key.
 */
export function createHmacSigner(getKey: () => Promise<string>, purpose: string): HmacSigner {
  let key: Promise<string> | undefined;
  const mac = async (data: string) => {
    key ??= getKey();
    return createHmac('sha256', await key)
      .update(purpose + data)
      .digest('base64url');
  };
  return {
    sign: mac,
    async verify(data, signature) {
      const expected = Buffer.from(await mac(data));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
