import type { ValidationIssue } from './errors.js';
import type { MessageBase } from './message.js';
import { checkBodyText, checkText } from './message-text.js';
import { checkPhoneNumber } from './phone.js';

/**
 * One component of a template message (`header`, `body`, `button`, …) exactly as the WhatsApp
 * Cloud API takes it, field names included (`sub_type`, `parameters: [{ type: 'text', text }]`):
 * providers pass it through, so every parameter type Meta adds works without a contract change.
 */
export interface WhatsAppTemplateComponent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A pre-approved template: the only message a business may start a conversation with. */
export interface WhatsAppTemplate {
  /** The template's name as approved (`order_confirmation`). */
  name: string;
  /** Its language code (`en_US`, `fr`). */
  language: string;
  /** Values for the template's variables and buttons. */
  components?: readonly WhatsAppTemplateComponent[] | undefined;
}

/**
 * A WhatsApp message: free text (only inside the 24-hour window after the user last wrote) or a
 * template. Exactly one of `text` and `template`. There is no `from`: the provider instance's
 * business number sends.
 */
export interface WhatsAppMessage extends MessageBase {
  channel: 'whatsapp';
  /** Recipient in E.164 (`+260971234567`). */
  to: string;
  text?: string | undefined;
  template?: WhatsAppTemplate | undefined;
}

/** The Cloud API's limit on a text message's body. */
export const WHATSAPP_MAX_TEXT_LENGTH = 4096;
const MAX_COMPONENTS = 20;
const MAX_DEPTH = 6;
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every string a provider will receive must be encodable; anything that is not JSON is refused. */
function checkJsonValue(value: unknown, path: string, issues: ValidationIssue[], depth: number): void {
  if (typeof value === 'string') {
    checkText(value, path, issues);
    return;
  }
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) issues.push({ path, message: 'must be a finite number' });
    return;
  }
  if (depth >= MAX_DEPTH) {
    issues.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkJsonValue(item, `${path}.${index}`, issues, depth + 1);
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value))
      checkJsonValue(item, `${path}.${key}`, issues, depth + 1);
    return;
  }
  issues.push({ path, message: 'must be a JSON value (string, number, boolean, null, array or object)' });
}

function validateTemplate(template: unknown, issues: ValidationIssue[]): void {
  if (!isPlainObject(template)) {
    issues.push({ path: 'template', message: 'must be an object { name, language, components? }' });
    return;
  }
  if (typeof template.name !== 'string' || !TEMPLATE_NAME.test(template.name)) {
    issues.push({
      path: 'template.name',
      message: 'must be a template name: lower-case letters, digits and underscores, up to 512 characters',
    });
  }
  if (typeof template.language !== 'string' || !LANGUAGE_CODE.test(template.language)) {
    issues.push({ path: 'template.language', message: 'must be a language code such as en or en_US' });
  }
  const components = template.components;
  if (components === undefined) return;
  if (!Array.isArray(components)) {
    issues.push({ path: 'template.components', message: 'must be a list of components' });
    return;
  }
  if (components.length > MAX_COMPONENTS) {
    issues.push({
      path: 'template.components',
      message: `has ${components.length} components; the limit is ${MAX_COMPONENTS}`,
    });
    return;
  }
  components.forEach((component, index) => {
    const path = `template.components.${index}`;
    if (!isPlainObject(component) || typeof component.type !== 'string' || component.type.length === 0) {
      issues.push({ path, message: 'must be an object with a "type" (header, body, button, …)' });
      return;
    }
    checkJsonValue(component, path, issues, 1);
  });
}

/** Checks a WhatsApp message and returns it with the recipient normalised to E.164. */
export function validateWhatsApp(
  message: WhatsAppMessage,
  issues: ValidationIssue[],
  defaultCountry?: string,
): WhatsAppMessage {
  const to = checkPhoneNumber(message.to, 'to', issues, defaultCountry);
  const hasText = message.text !== undefined;
  const hasTemplate = message.template !== undefined;
  if (hasText && hasTemplate) {
    issues.push({ path: 'template', message: 'a WhatsApp message is text or a template, not both' });
  } else if (!hasText && !hasTemplate) {
    issues.push({ path: 'text', message: 'a WhatsApp message needs text or a template' });
  }
  if (hasText) checkBodyText(message.text, 'text', WHATSAPP_MAX_TEXT_LENGTH, issues);
  if (hasTemplate) validateTemplate(message.template, issues);
  return to === message.to ? message : { ...message, to };
}
