/**
 * WhatsApp Cloud API deliveries for the webhook samples' tests, signed the way Meta signs them
 * (X-Hub-Signature-256: HMAC-SHA256 of the body's bytes under the app secret).
 */
import { createHmac } from 'node:crypto';

export const APP_SECRET = 'test-app-secret-0123456789abcdef';
export const VERIFY_TOKEN = 'test-verify-token';

export interface TextMessage {
  id: string;
  from: string;
  text: string;
}

/** A WhatsApp Cloud API delivery carrying `messages`, as Meta posts it. */
export function delivery(messages: TextMessage[]): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              messages: messages.map(({ id, from, text }) => ({
                from,
                id,
                timestamp: '1749416383',
                type: 'text',
                text: { body: text },
              })),
            },
          },
        ],
      },
    ],
  });
}

export const sign = (body: string, secret = APP_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
