import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * The V8 flag that bounds heap growth to `percent` past the live heap, or undefined when it is
 * left to V8: `percent` 0, or the operator already chose (the flag in Node's arguments or in
 * NODE_OPTIONS wins over the config).
 */
export function heapGrowthFlag(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string | undefined {
  if (percent <= 0) return undefined;
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) =>
    arg.replaceAll('_', '-').startsWith(FLAG),
  );
  return chosen ? undefined : `${FLAG}=${percent}`;
}

/**
 * Sets `server.heapGrowthPercent` for this process. V8 reads the flag each time it sizes the heap
 * after a full collection, so it takes effect when set at run time. Only the CLI, which owns its
 * process, calls this: a library must not change its host's V8.
 */
export function applyHeapGrowth(percent: number): void {
  const flag = heapGrowthFlag(percent);
  if (flag) setFlagsFromString(flag);
}
