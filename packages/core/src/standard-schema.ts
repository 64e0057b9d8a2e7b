import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError, type ValidationIssue } from './errors.js';

export type { StandardSchemaV1 };

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment))
    .map(String)
    .join('.');
}

export function toValidationIssues(issues: readonly StandardSchemaV1.Issue[]): ValidationIssue[] {
  return issues.map((issue) => ({ path: pathOf(issue), message: issue.message }));
}

/** Validates with any Standard Schema (zod, valibot, arktype); throws a `ValidationError`. */
export async function validateWithSchema<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  subject?: string,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw new ValidationError(toValidationIssues(result.issues), subject === undefined ? {} : { subject });
  }
  return result.value;
}
