import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { type RecipientInput, type RecipientValidator, UploadError } from './recipient-validator.js';

/** Where validated recipients go, a chunk at a time (the store). */
export type RecipientSink = (validator: RecipientValidator) => Promise<void>;

const CHUNK = 1000;

async function flushWhenFull(validator: RecipientValidator, sink: RecipientSink): Promise<void> {
  if (validator.pendingCount >= CHUNK) await sink(validator);
}

/**
 * A CSV upload, streamed: a header row with a `to` column and the template's variables, one
 * recipient per line. A line that cannot be read (a quote left open, a different number of
 * fields) refuses the upload with its line number.
 */
export async function readCsv(
  stream: Readable,
  validator: RecipientValidator,
  sink: RecipientSink,
): Promise<void> {
  let header = false;
  const parser = stream.pipe(
    parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
      columns: (columns: string[]) => {
        header = true;
        const names = columns.map((column) => column.trim());
        validator.checkColumns(names);
        return names;
      },
    }),
  );
  stream.on('error', (error) => parser.destroy(error));
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const { to, ...variables } = record;
      validator.add({ line: info.lines, to, variables });
      await flushWhenFull(validator, sink);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new UploadError(line, `the CSV cannot be read: ${error.message}`);
    }
    throw error;
  }
  if (!header) throw new UploadError(1, 'the CSV is empty: it needs a header row with a "to" column');
  await sink(validator);
}

/** An NDJSON upload, streamed: one JSON object per line, `{"to": ..., "name": ...}` or `{"to": ..., "variables": {...}}`. */
export async function readNdjson(
  stream: Readable,
  validator: RecipientValidator,
  sink: RecipientSink,
): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UploadError(line, `not JSON: ${(error as Error).message}`);
    }
    validator.add(recipientOf(value, line));
    await flushWhenFull(validator, sink);
  }
  await sink(validator);
}

/** Recipients given inline in the JSON body: an address, or an object like an NDJSON line. */
export async function readInline(
  recipients: readonly unknown[],
  validator: RecipientValidator,
  sink: RecipientSink,
): Promise<void> {
  for (const [index, value] of recipients.entries()) {
    validator.add(
      typeof value === 'string'
        ? { line: index + 1, to: value, variables: {} }
        : recipientOf(value, index + 1),
    );
    await flushWhenFull(validator, sink);
  }
  await sink(validator);
}

function recipientOf(value: unknown, line: number): RecipientInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UploadError(line, 'must be an object with "to"');
  }
  const { to, variables, ...rest } = value as Record<string, unknown>;
  if (
    variables !== undefined &&
    (variables === null || typeof variables !== 'object' || Array.isArray(variables))
  ) {
    throw new UploadError(line, '"variables" must be an object');
  }
  return { line, to, variables: { ...rest, ...(variables as Record<string, unknown> | undefined) } };
}
