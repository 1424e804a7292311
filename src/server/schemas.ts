import { controlCharacter } from '../format/text.js';
import { SESSION_ID_PATTERN } from '../storage/session-id.js';

/** JSON schemas shared by routes and the OpenAPI document. */

export const UUID_PATTERN = SESSION_ID_PATTERN;

export const sessionParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: UUID_PATTERN, description: 'session id' } },
  required: ['id'],
  additionalProperties: false,
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const sessionSchema = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    name: { type: 'string' },
    file_name: { type: 'string' },
    file_size: { type: ['number', 'null'] },
    status: { type: 'string', enum: ['queued', 'processing', 'completed', 'failed'] },
    phase: { type: 'string', enum: ['queued', 'reading', 'detecting', 'storing', 'done', 'failed'] },
    progress: { type: 'number' },
    error: { type: ['string', 'null'] },
    packets: { type: ['number', 'null'] },
    bytes: { type: ['number', 'null'] },
    first_ts: { type: ['string', 'null'], description: 'capture time, seconds with 9 decimals' },
    last_ts: { type: ['string', 'null'] },
    duration_s: { type: ['number', 'null'] },
    window_length: { type: ['number', 'null'] },
    window_count: { type: ['number', 'null'] },
    created_at: { type: 'string' },
    finished_at: { type: ['string', 'null'] },
    worker: {
      type: ['object', 'null'],
      description: 'while processing: the host and process id analysing it',
      properties: { host: { type: 'string' }, pid: { type: 'integer' } },
    },
    packets_available: {
      type: 'boolean',
      description: 'whether GET /api/sessions/{id}/packets can answer now',
    },
    packets_note: {
      type: ['string', 'null'],
      description:
        'why not: still loading, packets no longer kept, the capture changed since it was analysed …',
    },
    capture_kept: {
      type: 'boolean',
      description: "the capture is a copy Flowlens keeps (not the user's own file)",
    },
    kept_capture_bytes: { type: 'number', description: 'disk its kept copy uses' },
  },
} as const;

/** Largest value a numeric parameter without a maximum of its own accepts: PostgreSQL's integer. */
export const NUMBER_MAX = 2_147_483_647;

type Schema = { type?: unknown; minimum?: number; maximum?: number; properties?: Record<string, Schema> };

const isNumeric = (s: Schema) => [s.type].flat().some((t) => t === 'integer' || t === 'number');

/**
 * Gives every numeric property of a route's parameter or body schema a minimum and maximum where it
 * has none, so no number reaches the database beyond what its columns hold (app.ts applies it to
 * every route, including those added later). The bounds are then part of the OpenAPI document.
 */
export function boundNumbers(schema: unknown): void {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object') return;
  if (isNumeric(s)) {
    s.minimum ??= -NUMBER_MAX - 1;
    s.maximum ??= NUMBER_MAX;
  }
  for (const p of Object.values(s.properties ?? {})) boundNumbers(p);
}

/**
 * What is wrong with a request's validated parameters, as one sentence naming the first bad one, or
 * null. Numbers must be finite: the schema validator coerces "Infinity" and "1e309" to Infinity and
 * then skips minimum and maximum for it. Text must hold no control character (NUL cannot even be
 * stored): the same rule as the upload's form fields (textFieldProblem), so it lives here once.
 */
export function parameterProblem(parts: Record<string, unknown>): string | null {
  for (const [where, value] of Object.entries(parts)) {
    if (!value || typeof value !== 'object') continue;
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'number' && !Number.isFinite(v)) return `${where}/${name} must be a finite number`;
      const problem = typeof v === 'string' ? textFieldProblem(`${where}/${name}`, v) : null;
      if (problem !== null) return problem;
    }
  }
  return null;
}

/** A refusal for a text field holding a control character, or null. */
export function textFieldProblem(name: string, value: string): string | null {
  const c = controlCharacter(value);
  return c === null ? null : `${name} must not contain control characters (it holds ${c})`;
}
