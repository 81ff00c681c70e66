import { createHmac } from 'node:crypto';

/** Header carrying the signature: `sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>`. */
export const SIGNATURE_HEADER = 'x-stepflow-signature';

export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
