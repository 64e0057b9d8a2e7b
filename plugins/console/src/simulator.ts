/**
 * The sandbox export every plugin offers (`@msg/plugin-console/simulator`). The console sink never
 * sends anything, so its "simulator" starts nothing and keeps the instance's own options.
 */
export async function sandbox(_input: { instanceId: string; webhookUrl: string }): Promise<{
  options: Record<string, unknown>;
  url: string;
  stop(): Promise<void>;
}> {
  return { options: {}, url: 'console:', stop: async () => {} };
}
