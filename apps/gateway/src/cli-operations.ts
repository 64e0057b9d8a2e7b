import { parseArgs } from 'node:util';
import { gatewayClient } from './cli-client.js';

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, printed field by field.
type Json = Record<string, any>;

const print = (line = '') => process.stdout.write(`${line}\n`);
const percent = (value: number | undefined) =>
  value === undefined || value === null ? '-' : `${(value * 100).toFixed(1)}%`;
const milliseconds = (value: number | undefined) =>
  value === undefined || value === null ? '-' : `${Math.round(value / 1000)}s`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      reason: { type: 'string', short: 'r' },
      percentage: { type: 'string' },
      mode: { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      tags: { type: 'string' },
      down: { type: 'string' },
      subject: { type: 'string' },
      actor: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
}

function showMigration(migration: Json): void {
  const source =
    migration.source === 'runtime' ? `runtime, by ${migration.updatedBy}: ${migration.reason}` : 'config';
  print(
    `${migration.id}  (route ${migration.route}: ${migration.from.join(', ')} -> ${migration.to.join(', ')})`,
  );
  print(`  mode ${migration.mode}, ${migration.percentage}% on the new side  [${source}]`);
  const plan = migration.plan;
  if (plan) {
    const step = plan.steps[plan.step - 1];
    const what = step?.await
      ? 'awaiting approval'
      : `${step?.percentage}%${step?.hold ? ` for ${step.hold}` : ''}`;
    print(
      `  plan ${plan.phase}, step ${plan.step} of ${plan.steps.length} (${what}), ${milliseconds(plan.timeInStepMs)} in step`,
    );
    if (plan.reason) print(`    ${plan.reason}`);
  }
  for (const check of migration.lastChecks?.checks ?? [])
    print(`  ${check.verdict.padEnd(12)} ${check.reason}`);
  if (migration.metrics) {
    print('  side  sends  errors  delivered  p95 delivery  cost/delivered');
    for (const side of ['from', 'to'] as const) {
      const metrics = migration.metrics[side];
      print(
        `  ${side.padEnd(6)}${String(metrics.volume.value ?? 0).padEnd(7)}${percent(metrics.sendErrorRate.value).padEnd(8)}${percent(metrics.deliveredRate.value).padEnd(11)}${milliseconds(metrics.p95DeliveryMs.value).padEnd(14)}${metrics.costPerDelivered.value ?? '-'}`,
      );
    }
  }
}

/**
 * The operator commands of the CLI: migrations, provider actions, route previews and the audit
 * log, all through a running gateway's API (so that they are authenticated and audited there).
 */
export async function operate(command: string, argv: string[], fail: (line: string) => never): Promise<void> {
  const { values, positionals } = parse(argv);
  const call = gatewayClient({ url: values.url, apiKey: values['api-key'] }, fail);
  const done = (response: { status: number; body: Json }, render: (body: Json) => void) => {
    if (response.status >= 400)
      fail(`${response.status}: ${response.body.error?.message ?? JSON.stringify(response.body)}`);
    if (values.json) print(JSON.stringify(response.body, null, 2));
    else render(response.body);
  };
  const reason = () =>
    values.reason ?? fail(`msg ${command}: --reason is required (it goes into the audit log)`);
  const [action, id] = positionals;
  const need = (what: string) => id ?? fail(`msg ${command} ${action}: the ${what} id is required`);

  if (command === 'route') {
    if (!values.to) fail('msg route: --to is required');
    const query = new URLSearchParams({ to: values.to as string });
    for (const key of ['from', 'tags', 'down'] as const)
      if (values[key]) query.set(key, values[key] as string);
    return done(await call('GET', `/v1/route?${query}`), (body) => {
      print(`route ${body.route}: ${body.reason}`);
      print(
        `failover chain: ${body.chain.map((item: Json) => `${item.provider}${item.breaker === 'closed' ? '' : ` (${item.breaker})`}`).join(' > ') || 'none'}`,
      );
      if (body.assumedDown.length > 0) print(`assumed down: ${body.assumedDown.join(', ')}`);
      for (const item of body.excluded) print(`not tried: ${item.provider} (${item.reason})`);
    });
  }
  if (command === 'audit') {
    const query = new URLSearchParams();
    for (const key of ['subject', 'actor', 'limit'] as const)
      if (values[key]) query.set(key, values[key] as string);
    return done(await call('GET', `/v1/admin/audit?${query}`), (body) => {
      for (const entry of body.entries)
        print(
          `${entry.at}  ${entry.actor.padEnd(12)} ${entry.action.padEnd(26)} ${entry.subject ?? ''}  ${entry.reason ?? ''}`,
        );
    });
  }
  if (command === 'providers') {
    const path = { halt: 'halt', resume: 'resume', reset: 'reset-breaker' }[action as string];
    if (!path) fail(`msg providers: unknown action "${action}" (halt, resume, reset)`);
    const provider = need('provider');
    return done(
      await call(
        'POST',
        `/v1/admin/providers/${provider}/${path}`,
        values.reason ? { reason: values.reason } : {},
      ),
      (body) => print(`${body.id}: breaker ${body.breaker}${body.halted ? ', halted' : ''}`),
    );
  }
  // migrations
  switch (action) {
    case undefined:
    case 'list':
      return done(await call('GET', '/v1/migrations'), (body) => {
        for (const migration of body.migrations) showMigration(migration);
      });
    case 'show':
      return done(await call('GET', `/v1/migrations/${need('migration')}`), showMigration);
    case 'history':
      return done(
        await call(
          'GET',
          `/v1/admin/audit?subject=${encodeURIComponent(`migration:${need('migration')}`)}&limit=${values.limit ?? 50}`,
        ),
        (body) => {
          for (const entry of body.entries) {
            const change = entry.after ? ` -> ${JSON.stringify(entry.after)}` : '';
            print(
              `${entry.at}  ${entry.actor.padEnd(12)} ${entry.action.padEnd(26)} ${entry.reason ?? ''}${change}`,
            );
          }
        },
      );
    case 'set': {
      const migration = need('migration');
      if (values.percentage !== undefined) {
        const percentage = Number(values.percentage);
        return done(
          await call('POST', `/v1/admin/migrations/${migration}/percentage`, {
            percentage,
            reason: reason(),
          }),
          showMigration,
        );
      }
      if (values.mode !== undefined) {
        return done(
          await call('POST', `/v1/admin/migrations/${migration}/mode`, {
            mode: values.mode,
            reason: reason(),
          }),
          showMigration,
        );
      }
      return fail('msg migrations set: --percentage <n> or --mode <mode> is required');
    }
    case 'stop':
    case 'resume':
    case 'reset': {
      const path = action === 'stop' ? 'emergency-stop' : action;
      return done(
        await call('POST', `/v1/admin/migrations/${need('migration')}/${path}`, { reason: reason() }),
        showMigration,
      );
    }
    case 'start':
    case 'pause':
    case 'promote':
    case 'abort':
    case 'approve':
      return done(
        await call('POST', `/v1/admin/migrations/${need('migration')}/plan/${action}`, { reason: reason() }),
        showMigration,
      );
    default:
      return fail(
        `msg migrations: unknown action "${action}" (list, show, history, set, stop, resume, reset, start, pause, promote, abort, approve)`,
      );
  }
}
