/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string. Well distributed on consecutive
 * phone numbers (FNV-1a is not), cheap, and identical on every instance: the rollout bucket
 * of a recipient must never depend on the process that computes it.
 */
const encoder = new TextEncoder();

export function murmur3(input: string | Uint8Array, seed = 0): number {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  const length = bytes.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the tail bytes fall through by design
    case 3:
      k ^= (bytes[blocks + 2] as number) << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the tail bytes fall through by design
    case 2:
      k ^= (bytes[blocks + 1] as number) << 8;
    case 1:
      k ^= bytes[blocks] as number;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable bucket in [0, buckets) for a key, e.g. the recipient's number under a rollout's seed. */
export function stableBucket(key: string, buckets = 100, seed = 0): number {
  return murmur3(key, seed) % buckets;
}
