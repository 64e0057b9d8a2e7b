import { createSmscSimulator, type SmscSimulator, type SmscSimulatorOptions } from '@msg/smpp/simulator';
import type { SandboxFactory } from '@msg/testing';

export {
  type ReceiptOutcome,
  type RecordedBind,
  type RecordedSubmit,
  type SimulatorFaults,
  SMSC_ERRORS,
  SmscConformanceAdapter,
  SmscSimulator,
  type SmscSimulatorOptions,
} from '@msg/smpp/simulator';

/**
 * How the simulator plays Airtel's SMSC by default. Airtel publishes no SMSC profile: hex ids in
 * submit_sm_resp and decimal ids in receipts is the awkward combination PROVIDERS.md reports for
 * some SMSCs, chosen so the id matching is always exercised; receipts carry both text and TLVs.
 */
export const AIRTEL_SMSC_DEFAULTS: SmscSimulatorOptions = {
  messageIdFormat: 'hex',
  receiptIdFormat: 'decimal',
  receiptMode: 'both',
  receiptDelayMs: 20,
};

/** An SMSC on 127.0.0.1 with Airtel's defaults; `credentials` maps system_id to password. */
export function createAirtelSimulator(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  return createSmscSimulator({ ...AIRTEL_SMSC_DEFAULTS, ...options });
}

/**
 * Sandbox: an SMSC with one account. SMPP has no webhooks: receipts come back over the bind and
 * reach the host through `onDeliveryEvent`, so `webhookUrl` is unused.
 */
export const sandbox: SandboxFactory = async () => {
  const systemId = 'sandbox';
  const password = 'sandbox1';
  const smsc = await createAirtelSimulator({ credentials: { [systemId]: password } });
  return {
    options: { host: smsc.host, port: smsc.port, systemId, password, sourceAddress: 'MSG' },
    url: `smpp://${smsc.host}:${smsc.port}`,
    stop: () => smsc.stop(),
  };
};
