// The simulator toolkit. The conformance suite, which needs vitest, is `@msg/testing/conformance`.

export type { SandboxFactory, SandboxInput, SandboxSimulator } from './sandbox.js';
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
export { type ReceivedWebhook, type WebhookReceiver, webhookReceiver } from './webhook-receiver.js';
