export {
  type RedisRouterStateOptions,
  RedisRouterStateStore,
  type RedisStateHealth,
} from './redis-router-state.js';
export { TOKEN_BUCKET_SCRIPT, type TokenBucketResult } from './token-bucket.js';
