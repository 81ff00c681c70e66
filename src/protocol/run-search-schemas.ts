import { Type, type Static } from '@sinclair/typebox';
import { MAX_SHORT_TEXT_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../core/input-limits.js';
import {
  RUN_SEARCH_MAX_LENGTH,
  RUN_SEARCH_MAX_LIMIT,
  RUN_SEARCH_MAX_LINES,
  RUN_SEARCH_MIN_LENGTH,
} from '../core/search/run-search.js';
import { EXECUTION_STATUSES, LOG_STREAMS } from '../core/statuses.js';
import { ExecutionSchema } from './api-schemas.js';

/**
 * `GET /api/search` (search across every run's log): its query and answer, shared by the server,
 * `stepflow search --json` and the dashboard's History search (types only).
 */

export const RunSearchQuerySchema = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: RUN_SEARCH_MAX_LENGTH,
      description: `At least ${RUN_SEARCH_MIN_LENGTH} characters; case-insensitive plain text, matched in the lines with ANSI escapes removed`,
    }),
    status: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH }), {
        maxItems: 20,
        description: `Comma-separated or repeated: ${EXECUTION_STATUSES.join(', ')}`,
      }),
    ),
    since: Type.Optional(
      Type.String({
        maxLength: MAX_SHORT_TEXT_LENGTH,
        description: 'Runs created at or after: ISO 8601 date-time, or an age such as 30m, 24h, 7d, 2w',
      }),
    ),
    jobId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Only this job's runs" })),
    tag: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_TAG_KEY_LENGTH + 1 + MAX_TAG_VALUE_LENGTH }), {
        maxItems: 20,
        description: 'Repeated `key=value` or `key`; all must match',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: RUN_SEARCH_MAX_LIMIT, description: 'Runs per page; default 20' }),
    ),
    lines: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: RUN_SEARCH_MAX_LINES,
        description: 'Matching lines shown per run (its first ones); default 3',
      }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: MAX_SHORT_TEXT_LENGTH, description: '`nextCursor` of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

const RunSearchLineSchema = Type.Object({
  seq: Type.Integer({ description: 'Line number: the execution page shows it at /executions/<id>#L<seq>' }),
  stream: Type.Unsafe<(typeof LOG_STREAMS)[number]>({ type: 'string', enum: [...LOG_STREAMS] }),
  stepId: Type.Union([Type.Integer(), Type.Null()]),
  stepName: Type.Union([Type.String(), Type.Null()]),
  text: Type.String({ description: 'The visible text (escapes removed), cut around the first match' }),
  highlights: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
    description: '[start, end) of each occurrence in `text`',
  }),
  clippedStart: Type.Boolean(),
  clippedEnd: Type.Boolean(),
  count: Type.Integer({ description: 'Occurrences in the line' }),
});

export const RunSearchPageSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      execution: ExecutionSchema,
      total: Type.Integer({ description: "Occurrences in the run's whole log (exact)" }),
      lineTotal: Type.Integer({ description: "Lines of the run's whole log holding the text (exact)" }),
      lines: Type.Array(RunSearchLineSchema),
    }),
    { description: 'Runs with a match, newest first' },
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description:
      'Continues after the last run this page read; null at the end (a cursor may lead to an empty last page)',
  }),
  scannedRuns: Type.Integer({ description: 'Runs whose logs this page read' }),
  truncated: Type.Boolean({
    description:
      'The page stopped at its cost bound (runs or text read) before filling `limit`: older matches may follow nextCursor. Counts are exact either way',
  }),
});

export type RunSearchPageBody = Static<typeof RunSearchPageSchema>;
export type RunSearchLineBody = Static<typeof RunSearchLineSchema>;
