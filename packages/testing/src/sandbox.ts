/**
 * What a plugin's `./simulator` export offers the gateway's sandbox: `export const sandbox:
 * SandboxFactory`. The gateway calls it once per configured instance, then creates the instance
 * with the returned options, so a sandboxed gateway sends through the simulator and receives its
 * signed delivery callbacks at `webhookUrl`.
 */
export interface SandboxInput {
  /** The instance id from the gateway's config. */
  instanceId: string;
  /** Where the gateway receives this instance's webhooks; delivery callbacks go here. */
  webhookUrl: string;
}

export interface SandboxSimulator {
  /** Plugin options (credentials, base URL, webhook secrets) that point an instance at the simulator. */
  options: Record<string, unknown>;
  /** The simulator's base URL. */
  url: string;
  stop(): Promise<void>;
}

export type SandboxFactory = (input: SandboxInput) => Promise<SandboxSimulator>;
