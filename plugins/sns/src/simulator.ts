import { randomUUID } from 'node:crypto';
import {
  type ErrorCatalogue,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import { E164_PATTERN, SMS_ATTRIBUTE, SNS_API_VERSION, SNS_SMS_MAX_LENGTH } from './sns-api-types.js';
import { invalidAttribute, messageAttributes } from './sns-simulator-attributes.js';
import {
  type AuthSettings,
  authenticate,
  SIGNATURE_MISMATCH,
  type SnsSimulatorAccount,
} from './sns-simulator-auth.js';
import { errorResponse, publishResponse, smsAttributesResponse } from './sns-simulator-xml.js';

export type { SnsSimulatorAccount } from './sns-simulator-auth.js';

export interface SnsSimulatorOptions {
  /** The region this endpoint serves; a credential scoped to another is refused. */
  region?: string;
  accounts?: SnsSimulatorAccount[];
  /** Check the SigV4 signature itself, not only its shape (on by default). */
  verifySignatures?: boolean;
  seed?: number;
  now?: () => number;
  /** How many requests, published messages and delivery logs to keep (oldest dropped). */
  recordLimit?: number;
}

/** One SMS the simulator accepted, as SNS would have taken it. */
export interface PublishedSms {
  messageId: string;
  accessKeyId: string;
  phoneNumber: string;
  message: string;
  /** Message attribute name -> string value (`AWS.SNS.SMS.SMSType` -> `Transactional`). */
  attributes: Record<string, string>;
}

/** The record SNS writes to CloudWatch Logs for an SMS (`sns/REGION/ACCOUNT/DirectPublishToPhoneNumber`). */
export interface SnsDeliveryLog {
  notification: { messageId: string; timestamp: string };
  delivery: {
    destination: string;
    smsType: string;
    priceInUSD: number;
    numberOfMessageParts: number;
    providerResponse: string;
    dwellTimeMs: number;
  };
  status: 'SUCCESS' | 'FAILURE';
}

export const SNS_SIMULATOR_ACCOUNTS: readonly SnsSimulatorAccount[] = [
  { accessKeyId: 'AKIASIMULATOR0000001', secretAccessKey: 'simulator-secret-one' },
  { accessKeyId: 'AKIASIMULATOR0000002', secretAccessKey: 'simulator-secret-two' },
];

const SNS_ERRORS: Record<string, [status: number, message: string]> = {
  Throttled: [429, 'Rate exceeded'],
  Throttling: [400, 'Rate exceeded'],
  KMSThrottling: [400, 'Rate exceeded for KMS'],
  InternalError: [500, 'Internal Error'],
  ServiceUnavailable: [503, 'Service is unavailable. Please try again later.'],
  InvalidParameter: [400, 'Invalid parameter: PhoneNumber Reason: input is not valid to publish to'],
  ParameterValueInvalid: [400, 'The value of the message attribute AWS.SNS.SMS.SMSType is invalid'],
  OptedOut: [400, 'Phone number is opted out'],
  EndpointDisabled: [400, 'Endpoint is disabled'],
  AuthorizationError: [403, 'User is not authorized to perform: SNS:Publish on resource'],
  InvalidClientTokenId: [403, 'The security token included in the request is invalid.'],
  SignatureDoesNotMatch: [403, SIGNATURE_MISMATCH],
  ExpiredToken: [403, 'The security token included in the request is expired'],
};

function errorCatalogue(): ErrorCatalogue {
  return Object.fromEntries(
    Object.entries(SNS_ERRORS).map(([code, [status, message]]) => [
      code,
      () => errorResponse(status, code, message),
    ]),
  );
}

/**
 * A loopback SNS: `POST /` awsQuery (Publish, GetSMSAttributes) with SigV4 checked the way AWS
 * checks it, answers and `<ErrorResponse>` bodies in SNS's XML. SNS sends no delivery callbacks:
 * the simulator keeps the CloudWatch-shaped `deliveryLogs` instead. A recipient whose outcome
 * (`outcomes.set(number, ...)`) names a catalogue error gets that error; `failed` logs a FAILURE.
 */
export class SnsSimulator extends SimulatorServer {
  readonly region: string;
  readonly accounts: ReadonlyMap<string, SnsSimulatorAccount>;
  readonly published: PublishedSms[] = [];
  readonly deliveryLogs: SnsDeliveryLog[] = [];
  /** What GetSMSAttributes answers. */
  readonly smsAttributes: Record<string, string> = {
    DefaultSMSType: 'Transactional',
    MonthlySpendLimit: '1',
  };
  private readonly auth: AuthSettings;
  private readonly clock: () => number;
  private readonly keep: number;

  constructor(options: SnsSimulatorOptions = {}) {
    super({
      name: 'sns',
      errors: errorCatalogue(),
      seed: options.seed,
      now: options.now,
      recordLimit: options.recordLimit,
    });
    this.keep = options.recordLimit ?? 1000;
    this.region = options.region ?? 'us-east-1';
    this.accounts = new Map(
      (options.accounts ?? SNS_SIMULATOR_ACCOUNTS).map((account) => [account.accessKeyId, account]),
    );
    this.clock = options.now ?? Date.now;
    this.auth = {
      accounts: this.accounts,
      region: this.region,
      now: this.clock,
      verifySignatures: options.verifySignatures ?? true,
    };
    this.route('POST', '/', (request) => this.handleQuery(request));
  }

  /** Forgets published messages and delivery logs too. */
  override reset(): void {
    super.reset();
    this.published.length = 0;
    this.deliveryLogs.length = 0;
  }

  private handleQuery(request: SimulatorRequest): SimulatorResponse {
    const refused = authenticate(request, this.auth);
    if (refused) return refused;
    const form = request.form();
    const action = form.get('Action') ?? '';
    if (form.get('Version') !== SNS_API_VERSION || !['Publish', 'GetSMSAttributes'].includes(action)) {
      return errorResponse(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version ${form.get('Version')}`,
      );
    }
    if (action === 'GetSMSAttributes') return smsAttributesResponse(this.smsAttributes);
    return this.publish(form, request.credential as string);
  }

  private publish(form: URLSearchParams, accessKeyId: string): SimulatorResponse {
    if (form.has('TopicArn') || form.has('TargetArn')) {
      return errorResponse(404, 'NotFound', 'Topic does not exist');
    }
    const phoneNumber = form.get('PhoneNumber');
    if (phoneNumber === null) {
      return errorResponse(
        400,
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    if (!E164_PATTERN.test(phoneNumber)) {
      return errorResponse(
        400,
        'InvalidParameter',
        `Invalid parameter: PhoneNumber Reason: ${phoneNumber} is not valid to publish to`,
      );
    }
    const message = form.get('Message') ?? '';
    if (message.length === 0)
      return errorResponse(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    if (message.length > SNS_SMS_MAX_LENGTH) {
      return errorResponse(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    const attributes = messageAttributes(form);
    const invalid = invalidAttribute(attributes);
    if (invalid) return errorResponse(400, 'ParameterValueInvalid', invalid);
    const outcome = this.outcomeFor(phoneNumber);
    const outcomeError = SNS_ERRORS[outcome];
    if (outcomeError) return errorResponse(outcomeError[0], outcome, outcomeError[1]);
    const messageId = randomUUID();
    const values = Object.fromEntries(Object.entries(attributes).map(([name, { value }]) => [name, value]));
    this.published.push({ messageId, accessKeyId, phoneNumber, message, attributes: values });
    this.deliveryLogs.push(this.deliveryLog(messageId, phoneNumber, message, values, outcome));
    if (this.published.length > this.keep) {
      this.published.splice(0, this.published.length - this.keep);
      this.deliveryLogs.splice(0, this.deliveryLogs.length - this.keep);
    }
    return publishResponse(messageId);
  }

  private deliveryLog(
    messageId: string,
    destination: string,
    message: string,
    attributes: Record<string, string>,
    outcome: string,
  ): SnsDeliveryLog {
    const parts = Math.max(1, Math.ceil(message.length / 153));
    const failed = outcome === 'failed' || outcome === 'undelivered';
    return {
      notification: { messageId, timestamp: new Date(this.clock()).toISOString().replace('T', ' ') },
      delivery: {
        destination,
        smsType: attributes[SMS_ATTRIBUTE.smsType] ?? 'Promotional',
        priceInUSD: failed ? 0 : 0.00645 * parts,
        numberOfMessageParts: parts,
        providerResponse: failed
          ? 'Unknown error attempting to reach phone'
          : 'Message has been accepted by phone carrier',
        dwellTimeMs: 120,
      },
      status: failed ? 'FAILURE' : 'SUCCESS',
    };
  }
}

/** Creates (does not start) an SNS simulator: `await simulator.start()` gives its endpoint URL. */
export function createSnsSimulator(options: SnsSimulatorOptions = {}): SnsSimulator {
  return new SnsSimulator(options);
}

/**
 * Sandbox: an SNS simulator with one made-up account. SNS sends no delivery callbacks (the
 * simulator keeps CloudWatch-shaped `deliveryLogs` instead), so nothing reaches `webhookUrl`.
 */
export const sandbox: SandboxFactory = async () => {
  const region = 'us-east-1';
  const account = { accessKeyId: 'AKIASANDBOX000000001', secretAccessKey: 'sandbox-sns-secret' };
  const simulator = createSnsSimulator({ region, accounts: [account] });
  const url = await simulator.start();
  return { options: { region, ...account, baseUrl: url }, url, stop: () => simulator.stop() };
};
