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
