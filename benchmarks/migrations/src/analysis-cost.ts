// How long one plan analysis takes over a store of BENCH_STORED messages (the queries run on the
// gateway's event loop: this is what a plan costs the send path per analysis).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageStore } from '@msg/gateway';
import { prefill } from './prefill.js';

const STORED = Number(process.env.BENCH_STORED ?? 1_000_000);
const path =
  process.env.BENCH_STORE ?? join(mkdtempSync(join(tmpdir(), 'msg-bench-analysis-')), 'prefilled.sqlite');
if (!existsSync(path)) prefill(path, STORED);
const store = new SqliteMessageStore({ path });
const now = Date.now();
const times: number[] = [];
for (let round = 0; round < 20; round++) {
  const started = performance.now();
  const base = {
    migrationId: 'old-to-new',
    since: now - 3_600_000,
    until: now,
    settledBefore: now - 600_000,
    slowAfterMs: 240_000,
    now,
  };
  await store.sideSample({ ...base, providers: ['new'] });
  const destinations = await store.destinations({
    migrationId: 'old-to-new',
    providers: ['new'],
    since: base.since,
    until: now,
  });
  await store.sideSample({ ...base, providers: ['old'], destinations });
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const median = times[10] as number;
console.log(`one analysis over ${STORED} stored messages (1 h window): median ${median.toFixed(1)} ms`);
console.log(
  JSON.stringify({
    benchmark: 'migration-analysis',
    stored: STORED,
    analysisMs: Math.round(median * 10) / 10,
  }),
);
await store.close();
