import { type Channel, isEmailAddress, ValidationError, type ValidationIssue } from '@msg/core';
import type { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import type { CampaignDefinition } from '../store/campaign-store.js';

const FIELDS = new Set([
  'name',
  'channel',
  'template',
  'from',
  'provider',
  'route',
  'ratePerSecond',
  'scheduledAt',
  'callbackUrl',
  'tags',
  'recipients',
]);
const TEMPLATE_FIELDS = new Set(['text', 'subject', 'html']);

const isString = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;

/**
 * A campaign as the API takes it (JSON body, or the `campaign` field of an upload), checked whole:
 * every problem in one 400 with its path. The provider must exist and serve the channel; so must
 * the route (one of its providers), and a campaign names one or the other.
 */
export function parseCampaignDefinition(
  raw: unknown,
  context: {
    providers: ReadonlyMap<string, Channel>;
    /** Each route's providers with the channel each serves (the router's routes). */
    routes: ReadonlyMap<string, ReadonlyArray<{ id: string; channel: Channel }>>;
    callbackTargets: CallbackTargetPolicy;
    now: number;
    /** Inline `recipients` are allowed (the JSON body) or not (an upload's field). */
    inline: boolean;
  },
): CampaignDefinition {
  const issues: ValidationIssue[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError([{ path: '', message: 'must be a JSON object' }], {
      subject: 'invalid campaign',
    });
  }
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key) || (key === 'recipients' && !context.inline)) {
      issues.push({ path: key, message: 'is not a campaign field' });
    }
  }
  const channel = body.channel ?? 'sms';
  if (channel !== 'sms' && channel !== 'email')
    issues.push({ path: 'channel', message: 'must be "sms" or "email"' });
  const template = body.template as Record<string, unknown> | undefined;
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    issues.push({
      path: 'template',
      message: 'is required: { text } for SMS, { subject, text and/or html } for email',
    });
  } else {
    for (const key of Object.keys(template)) {
      if (!TEMPLATE_FIELDS.has(key))
        issues.push({ path: `template.${key}`, message: 'is not a template field' });
    }
    for (const key of TEMPLATE_FIELDS) {
      if (template[key] !== undefined && !isString(template[key], 100_000)) {
        issues.push({ path: `template.${key}`, message: 'must be a string' });
      }
    }
    if (channel === 'sms' && (typeof template.text !== 'string' || template.text.trim() === '')) {
      issues.push({ path: 'template.text', message: 'is required for SMS' });
    }
    if (channel === 'sms' && (template.subject !== undefined || template.html !== undefined)) {
      issues.push({ path: 'template', message: 'an SMS template has only text' });
    }
    if (channel === 'email') {
      if (typeof template.subject !== 'string' || template.subject.trim() === '') {
        issues.push({ path: 'template.subject', message: 'is required for email' });
      }
      if (template.text === undefined && template.html === undefined) {
        issues.push({ path: 'template', message: 'an email template needs text or html' });
      }
    }
  }
  let from: CampaignDefinition['from'];
  if (channel === 'email') {
    const value = body.from;
    const email = typeof value === 'string' ? value : (value as { email?: unknown } | undefined)?.email;
    const name = typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined;
    if (typeof email !== 'string' || !isEmailAddress(email)) {
      issues.push({ path: 'from', message: 'an email campaign needs a sender address' });
    } else if (name !== undefined && !isString(name, 200)) {
      issues.push({ path: 'from.name', message: 'must be a string' });
    } else {
      from = { email, ...(name ? { name } : {}) };
    }
  } else if (body.from !== undefined) {
    if (!isString(body.from, 20) || body.from.trim() === '') {
      issues.push({
        path: 'from',
        message: 'must be a sender id or number (a string of up to 20 characters)',
      });
    } else from = body.from;
  }
  const provider = body.provider;
  if (provider !== undefined) {
    const served = typeof provider === 'string' ? context.providers.get(provider) : undefined;
    if (typeof provider !== 'string' || served === undefined) {
      issues.push({
        path: 'provider',
        message: `unknown provider ${JSON.stringify(provider)} (known: ${[...context.providers.keys()].join(', ')})`,
      });
    } else if (served !== channel) {
      issues.push({
        path: 'provider',
        message: `provider "${provider}" serves ${served}, not ${String(channel)}`,
      });
    }
  }
  const route = body.route;
  if (route !== undefined) {
    const providers = typeof route === 'string' ? context.routes.get(route) : undefined;
    if (provider !== undefined) {
      issues.push({ path: 'route', message: 'a campaign names a route or a provider, not both' });
    } else if (typeof route !== 'string' || providers === undefined) {
      issues.push({
        path: 'route',
        message: `unknown route ${JSON.stringify(route)} (routes: ${[...context.routes.keys()].join(', ')})`,
      });
    } else if (!providers.some((entry) => entry.channel === channel)) {
      issues.push({
        path: 'route',
        message: `route "${route}" has no provider that serves ${String(channel)}`,
      });
    }
  }
  const rate = body.ratePerSecond;
  if (
    rate !== undefined &&
    (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 100_000)
  ) {
    issues.push({ path: 'ratePerSecond', message: 'must be a number above 0 and at most 100000' });
  }
  let scheduledAt: number | undefined;
  if (body.scheduledAt !== undefined) {
    scheduledAt = typeof body.scheduledAt === 'string' ? Date.parse(body.scheduledAt) : Number.NaN;
    if (!Number.isFinite(scheduledAt)) {
      issues.push({
        path: 'scheduledAt',
        message: 'must be an ISO 8601 date and time (2026-12-24T09:00:00Z)',
      });
    }
  }
  if (body.callbackUrl !== undefined) {
    const refusal =
      typeof body.callbackUrl === 'string'
        ? context.callbackTargets.checkUrl(body.callbackUrl)
        : 'must be a URL';
    if (refusal) issues.push({ path: 'callbackUrl', message: refusal });
  }
  if (
    body.tags !== undefined &&
    (!Array.isArray(body.tags) || body.tags.length > 10 || body.tags.some((tag) => !isString(tag, 64)))
  ) {
    issues.push({ path: 'tags', message: 'must be up to 10 strings of up to 64 characters' });
  }
  if (body.name !== undefined && !isString(body.name, 200)) {
    issues.push({ path: 'name', message: 'must be a string of up to 200 characters' });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject: 'invalid campaign' });
  const parsed = template as Record<string, string | undefined>;
  return {
    ...(body.name !== undefined ? { name: body.name as string } : {}),
    template: {
      channel: channel as 'sms' | 'email',
      ...(parsed.text !== undefined ? { text: parsed.text } : {}),
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      ...(parsed.html !== undefined ? { html: parsed.html } : {}),
    },
    ...(from !== undefined ? { from } : {}),
    ...(provider !== undefined ? { provider: provider as string } : {}),
    ...(route !== undefined ? { route: route as string } : {}),
    ...(rate !== undefined ? { ratePerSecond: rate as number } : {}),
    ...(scheduledAt !== undefined ? { scheduledAt } : {}),
    ...(body.callbackUrl !== undefined ? { callbackUrl: body.callbackUrl as string } : {}),
    ...(body.tags !== undefined ? { tags: body.tags as string[] } : {}),
  };
}
