/**
 * An atomic token bucket in one Redis hash: refill by the time elapsed, then take `count` tokens if
 * there are that many. Time is Redis's own (`TIME`), so instances whose clocks differ share one
 * bucket fairly. The key expires once a full bucket would have refilled, so idle buckets go away.
 *
 * KEYS[1] bucket; ARGV[1] tokens per second, ARGV[2] burst, ARGV[3] tokens to take.
 * Returns { 1 or 0 (taken), tokens left as a string (Lua numbers lose their fraction in replies) }.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= count then
  tokens = tokens - count
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return { taken, tostring(tokens) }
`;

export interface TokenBucketResult {
  taken: boolean;
  /** Tokens left in the bucket (a fraction while it refills). */
  tokens: number;
}
