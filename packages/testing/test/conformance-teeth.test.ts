import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

interface FixtureResults {
  testResults: Array<{
    name: string;
    assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
  }>;
}

const fixtures = fileURLToPath(new URL('./fixtures/guide-plugin/', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

/** Each bug of the issue that the suite used to miss, and the check that must now fail on it. */
const CAUGHT: ReadonlyArray<{ bug: string; check: string; message: RegExp }> = [
  {
    bug: 'signature-unchecked',
    check: 'refuses a callback whose signed values were changed',
    message: /signed status "accepted" changed to "delivered" must be refused/,
  },
  {
    bug: 'delivered-as-sent',
    check: 'maps every provider status to the normalised status the test expects',
    message: /provider status "delivered" -> status/,
  },
  {
    bug: 'bare-5xx-as-success',
    check: 'treats a bare 5xx (no provider error body) as transient',
    message: /HTTP 500 with an empty body must not be taken for a success/,
  },
  {
    bug: 'unreadable-2xx-as-success',
    check: 'never takes an unreadable 2xx for a success: ambiguous, it may have been accepted',
    message: /HTTP 200 with an empty body must not be taken for a success/,
  },
  {
    bug: 'segments-by-length',
    check: 'reports SMS segments as the provider counts them (GSM-7, extension characters, UCS-2)',
    message: /segments of GSM-7 extension characters/,
  },
  {
    bug: 'secret-in-log',
    check: 'sends a message and returns the provider id',
    message: /no configured secret may reach the log: secret option "apiKey" in a debug line/,
  },
  {
    bug: 'socket-left-open',
    check: 'leaves no connection open after close()',
    message: /connections still open/,
  },
  {
    bug: 'message-id-not-sent',
    check: 'sends our message id to the provider, where receipts can echo it',
    message: /message\.id "conf-[^"]+" in a request the simulator recorded/,
  },
  {
    bug: 'no-encoding-check',
    check: 'answers text it cannot encode (lone surrogates) as permanent, never a crash',
    message: /text with a lone high surrogate: must reject with a ProviderError, got URIError/,
  },
  {
    bug: 'validate-sends',
    check: "validates the harness's message with the declared method, delivering nothing",
    message: /validate of a good message: a local validation must not reach the provider/,
  },
  {
    bug: 'validate-accepts-all',
    check: 'refuses what a send would refuse, with the same kind, never ambiguous',
    message: /validate of text with a lone surrogate must be refused, as a send is/,
  },
];

/** Runs the fixture suites in a child vitest (they fail on purpose) and reads its JSON report. */
async function runFixtures(): Promise<FixtureResults> {
  const directory = await mkdtemp(join(tmpdir(), 'msg-conformance-teeth-'));
  const report = join(directory, 'report.json');
  // The child is a vitest of its own, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  try {
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [
          vitest,
          'run',
          '--config',
          join(fixtures, 'vitest.config.ts'),
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { cwd: fixtures, env, timeout: 150_000 },
        // Failing suites make the child exit 1: the report says which.
        () => resolve(),
      );
    });
    return JSON.parse(await readFile(report, 'utf8')) as FixtureResults;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

describe('the conformance suite on a plugin written from the guide', () => {
  let results: FixtureResults;
  const run = (name: string) => {
    const file = results.testResults.find((candidate) => candidate.name.endsWith(`/runs/${name}.fixture.ts`));
    if (!file) throw new Error(`no report for the ${name} fixture`);
    return file.assertionResults;
  };

  beforeAll(async () => {
    results = await runFixtures();
  }, 180_000);

  it('passes the plugin as the guide has it written', () => {
    const tests = run('as-written');
    const failed = tests.filter((test) => test.status === 'failed');
    expect(failed.map((test) => `${test.title}: ${test.failureMessages[0]?.split('\n')[0]}`)).toEqual([]);
    expect(tests.filter((test) => test.status === 'passed').length).toBeGreaterThan(20);
  });

  it.each(CAUGHT)('fails the copy with the bug "$bug" on "$check", saying what it checked', (expected) => {
    const failed = run(expected.bug).filter((test) => test.status === 'failed');
    const check = failed.find((test) => test.title === expected.check);
    expect(check, `failed checks: ${failed.map((test) => test.title).join(', ')}`).toBeDefined();
    expect(check?.failureMessages[0]).toMatch(expected.message);
  });
});
