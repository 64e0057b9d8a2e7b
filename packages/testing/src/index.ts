// The simulator toolkit. The conformance suite, which needs vitest, is `@msg/testing/conformance`.

export { type AwsProfileCredentials, withAwsSharedCredentials } from './aws-credentials.js';
export type { SandboxFactory, SandboxInput, SandboxSimulator } from './sandbox.js';
export {
  computeSigV4Signature,
  parseAmzDate,
  parseSigV4Authorization,
  type SigV4Authorization,
  type SigV4Request,
  verifySigV4Signature,
} from './sigv4.js';
export {
  type ErrorCatalogue,
  type FaultSettings,
  jsonResponse,
  type RecordedRequest,
  type RouteHandler,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
  textResponse,
} from './simulator.js';
export {
  type DeliveredCallback,
  type StatusCallback,
  StatusCallbacks,
  type StatusCallbacksOptions,
} from './status-callbacks.js';
export { type ErrorGuard, rejectionOf, waitFor } from './test-helpers.js';
export { type ReceivedWebhook, type WebhookReceiver, webhookReceiver } from './webhook-receiver.js';
