import { ThrottledException } from '@aws-sdk/client-sns';
import { SimulatorServer, textResponse } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import { SNS_ERROR_KINDS, toProviderError } from '../src/index.js';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS } from '../src/simulator.js';
import { makeProvider, providerError, send, simulatorForFile, sms } from './sns-helpers.js';

const [account, other] = SNS_SIMULATOR_ACCOUNTS as [
  (typeof SNS_SIMULATOR_ACCOUNTS)[number],
  (typeof SNS_SIMULATOR_ACCOUNTS)[number],
];
const { simulator, options } = simulatorForFile();

describe('errors SNS answers', () => {
  it('maps every code PROVIDERS.md lists to its kind', () => {
    expect(SNS_ERROR_KINDS).toMatchObject({
      Throttled: 'rate-limited',
      Throttling: 'rate-limited',
      InternalError: 'transient',
      InvalidParameter: 'permanent',
      ParameterValueInvalid: 'permanent',
      AuthorizationError: 'configuration',
      OptedOut: 'permanent',
      EndpointDisabled: 'permanent',
    });
  });

  it('keeps the wire code and HTTP status: Throttled 429, Throttling 400, InternalError 500', async () => {
    const provider = await makeProvider(options);
    const seen: Array<[string | undefined, number | undefined, string]> = [];
    for (const code of ['Throttled', 'Throttling', 'InternalError']) {
      simulator.failNext(code);
      const error = await providerError(send(provider));
      seen.push([error.providerCode, error.httpStatus, error.kind]);
      expect(error.message).toContain(code);
    }
    expect(seen).toEqual([
      ['Throttled', 429, 'rate-limited'],
      ['Throttling', 400, 'rate-limited'],
      ['InternalError', 500, 'transient'],
    ]);
    await provider.close();
  });

  it('refuses an unknown access key with InvalidClientTokenId 403, as configuration', async () => {
    const provider = await makeProvider({ ...options, accessKeyId: 'AKIAUNKNOWN000000000' });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'InvalidClientTokenId',
      httpStatus: 403,
    });
    expect(simulator.requests.at(-1)?.credential).toBeUndefined();
    await provider.close();
  });

  it('refuses a wrong secret with SignatureDoesNotMatch, never echoing the secret', async () => {
    const provider = await makeProvider({ ...options, secretAccessKey: 'not-the-secret' });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'SignatureDoesNotMatch',
      httpStatus: 403,
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('not-the-secret');
    expect(error.message).not.toContain(account.secretAccessKey);
    await provider.close();
  });

  it("refuses another account's secret and a credential scoped to another region", async () => {
    const mixed = await makeProvider({ ...options, secretAccessKey: other.secretAccessKey });
    expect((await providerError(send(mixed))).providerCode).toBe('SignatureDoesNotMatch');
    const elsewhere = await makeProvider({ ...options, region: 'us-east-1' });
    const error = await providerError(send(elsewhere));
    expect(error.providerCode).toBe('SignatureDoesNotMatch');
    expect(error.message).toContain("not 'us-east-1'");
    await Promise.all([mixed.close(), elsewhere.close()]);
  });

  it('refuses a request signed with a clock more than 15 minutes off', async () => {
    const skewed = createSnsSimulator({ region: 'eu-west-1', now: () => Date.now() + 20 * 60_000 });
    const baseUrl = await skewed.start();
    const provider = await makeProvider({ ...options, baseUrl });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'SignatureDoesNotMatch' });
    expect(error.message).toContain('Signature expired');
    await provider.close();
    await skewed.stop();
  });

  it('refuses temporary credentials sent without their session token', async () => {
    const temporary = {
      accessKeyId: 'ASIATEMPORARY0000001',
      secretAccessKey: 'temp-secret',
      sessionToken: 't-1',
    };
    const sts = createSnsSimulator({ region: 'eu-west-1', accounts: [temporary] });
    const baseUrl = await sts.start();
    const provider = await makeProvider({
      region: 'eu-west-1',
      baseUrl,
      ...temporary,
      sessionToken: undefined,
    });
    expect((await providerError(send(provider))).providerCode).toBe('InvalidClientTokenId');
    await provider.close();
    await sts.stop();
  });

  it('answers an invalid phone number with InvalidParameter, permanent', async () => {
    const provider = await makeProvider(options);
    const error = await providerError(send(provider, sms({ to: '260971234567' })));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'InvalidParameter', httpStatus: 400 });
    expect(error.message).toContain('PhoneNumber');
    await provider.close();
  });

  it('answers a recipient that opted out with OptedOut, permanent', async () => {
    const provider = await makeProvider(options);
    simulator.outcomes.set('+260971111111', 'OptedOut');
    const error = await providerError(send(provider, sms({ to: '+260971111111' })));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'OptedOut' });
    await provider.close();
  });

  it('reports health as not ok with the kind and code when the credentials are bad', async () => {
    const provider = await makeProvider({ ...options, accessKeyId: 'AKIAUNKNOWN000000000' });
    await expect(provider.health?.({ signal: new AbortController().signal })).resolves.toEqual({
      ok: false,
      detail: 'configuration: InvalidClientTokenId',
    });
    await provider.close();
  });
});

describe('checks before sending', () => {
  it('fails a message over 1600 characters as permanent without calling SNS', async () => {
    const provider = await makeProvider(options);
    const before = simulator.requests.length;
    const error = await providerError(send(provider, sms({ text: 'x'.repeat(1601) })));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MessageTooLong' });
    expect(simulator.requests.length).toBe(before);
    await expect(send(provider, sms({ text: 'x'.repeat(1600) }))).resolves.toBeDefined();
    await provider.close();
  });
});

describe('errors that are not an SNS answer', () => {
  it('honours a Retry-After header on a throttling error', () => {
    const exception = new ThrottledException({
      $metadata: { httpStatusCode: 429 },
      message: 'Rate exceeded',
    });
    Object.assign(exception, { Code: 'Throttled' });
    Object.defineProperty(exception, '$response', {
      value: { statusCode: 429, headers: { 'retry-after': '2' } },
    });
    expect(toProviderError(exception, 'sns-a')).toMatchObject({
      kind: 'rate-limited',
      providerCode: 'Throttled',
      retryAfterMs: 2000,
    });
  });

  it('treats a refused connection as transient', async () => {
    const closed = createSnsSimulator({ region: 'eu-west-1' });
    const baseUrl = await closed.start();
    await closed.stop();
    const provider = await makeProvider({ ...options, baseUrl });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'ECONNREFUSED' });
    await provider.close();
  });

  it('treats a 5xx without an XML body as transient', async () => {
    const provider = await makeProvider(options);
    simulator.faultNext({ errorRate: 1 });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({ kind: 'transient', httpStatus: 500, providerCode: 'HTTP_500' });
    await provider.close();
  });

  it('treats a 200 it cannot read as ambiguous: the message may have gone', async () => {
    const broken = new SimulatorServer({ name: 'sns-broken' }).route('POST', '/', () =>
      textResponse(200, '<PublishResponse><PublishResult>', 'text/xml'),
    );
    const baseUrl = await broken.start();
    const provider = await makeProvider({ ...options, baseUrl });
    const error = await providerError(send(provider));
    expect(error).toMatchObject({ kind: 'ambiguous', httpStatus: 200, providerCode: 'HTTP_200' });
    await provider.close();
    await broken.stop();
  });

  it('rejects sends after close', async () => {
    const provider = await makeProvider(options);
    await provider.close();
    expect(await providerError(send(provider))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MSG_PROVIDER_CLOSED',
    });
  });
});
