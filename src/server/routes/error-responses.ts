import { ErrorBodySchema } from '../../protocol/api-schemas.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; the message names the field',
  404: 'Not found',
  409: 'Conflicts with the current state (a run in progress, a name in use, a stored record that cannot be read)',
  413: 'Request body too large',
  415: 'Unsupported content type (send application/json)',
  410: 'Gone: retention removed it; the record stays (docs/RETENTION.md)',
  416: 'Range not satisfiable',
  412: 'Precondition failed: the file changed since it was read (details.etag: its current etag)',
};

/** Error responses for a route's OpenAPI entry (and serializer): the one `{"error":{…}}` shape. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBodySchema> {
  return Object.fromEntries(
    statuses.map((status) => [status, { ...ErrorBodySchema, description: DESCRIPTIONS[status] ?? 'Error' }]),
  );
}
