/**
 * Runs every plugin bench in sequence, each in its own Node process (so one SDK's JIT and garbage
 * do not weigh on the next), passing their output through; the last line is one JSON object:
 * { benchmarks: [each bench's result], ratios: { <plugin>: ratio } }.
 *
 *   pnpm bench:plugins            (repo root)
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx all.ts
 *
 * CONCURRENCY, ROUNDS, ROUND_MS and SLICE_MS reach every bench (see harness.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './harness.js';

const BENCHES = [
  'twilio',
  'sns',
  'africastalking',
  'ses',
  'sendgrid',
  'mailgun',
  'resend',
  'smtp',
  'mtn',
  'zamtel',
  'airtel',
  'vonage',
  'mitto',
  'whatsapp',
];

/** Runs one bench file with this process's flags (`--conditions`, `--import tsx`); its last line is its result. */
function run(name: string): Promise<BenchResult> {
  const file = fileURLToPath(new URL(`./${name}.bench.ts`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${name}.bench.ts exited with ${code}`));
      const last = output.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as BenchResult);
      } catch {
        reject(new Error(`${name}.bench.ts did not end with a JSON line`));
      }
    });
  });
}

const benchmarks: BenchResult[] = [];
for (const name of BENCHES) {
  console.log(`\n# ${name}`);
  benchmarks.push(await run(name));
}
const ratios = Object.fromEntries(benchmarks.map((result) => [result.plugin, result.ratio]));
console.log(JSON.stringify({ benchmarks, ratios }));
