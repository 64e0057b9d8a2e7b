import { createProvider, type Provider, silentLogger, validatePluginOptions } from '@msg/core';
import { rejectionOf, withAwsSharedCredentials } from '@msg/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import sesPlugin from '../src/index.js';
import { createSesSimulator, type SesSimulator } from '../src/simulator.js';
import { email } from './helpers.js';

const ACCESS_KEY = 'AKIAPROFILECHAIN0001';
const SECRET = 'profile-chain-secret';
let simulator: SesSimulator;
let baseUrl: string;

beforeAll(async () => {
  simulator = createSesSimulator({
    accounts: { [ACCESS_KEY]: SECRET },
    verifiedIdentities: ['example.com'],
  });
  baseUrl = await simulator.start();
});
beforeEach(() => simulator.reset());
afterAll(() => simulator.stop());

/** Creates a provider without static keys, sends one email, closes it: all inside the chain's environment. */
async function sendWithoutKeys<T>(work: (provider: Provider<'email'>) => Promise<T>): Promise<T> {
  const provider = (await createProvider(
    sesPlugin,
    { region: 'us-east-1', baseUrl },
    { instanceId: 'ses-chain', logger: silentLogger, now: Date.now },
  )) as Provider<'email'>;
  try {
    return await work(provider);
  } finally {
    await provider.close();
  }
}

const signal = () => new AbortController().signal;

describe('credentials', () => {
  it("without keys in the options, signs with the SDK's default chain (a shared-credentials profile)", async () => {
    const result = await withAwsSharedCredentials({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, () =>
      sendWithoutKeys((provider) => provider.send(email('m-chain'), { signal: signal() })),
    );
    expect(result.providerMessageId).toMatch(/^0100/);
    const request = simulator.requests.at(-1);
    expect(request?.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/us-east-1/ses/aws4_request,`),
    );
    expect(request?.credential).toBe(ACCESS_KEY);
  });

  it('fails as configuration, sending nothing, when the default chain finds no credentials', async () => {
    const error = await withAwsSharedCredentials(undefined, () =>
      sendWithoutKeys((provider) => rejectionOf(provider.send(email('m-none'), { signal: signal() }))),
    );
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'CredentialsProviderError' });
    expect(simulator.requests).toHaveLength(0);
  });

  it.each([
    ['a key id without its secret', { accessKeyId: ACCESS_KEY }, 'options.secretAccessKey'],
    ['a secret without its key id', { secretAccessKey: SECRET }, 'options.accessKeyId'],
    ['a session token without keys', { sessionToken: 'token' }, 'options.sessionToken'],
  ])('refuses %s, naming the option', async (_label, keys, path) => {
    const error = await validatePluginOptions(sesPlugin, { region: 'us-east-1', ...keys }, 'ses-main').catch(
      (caught: unknown) => caught as Error,
    );
    expect(String(error)).toContain(path);
    expect(String(error)).toContain('default credential chain');
  });
});
