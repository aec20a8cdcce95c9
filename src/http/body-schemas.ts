/**
 * Every request body schema of `schemas/api/`, by file name, with its name in the OpenAPI
 * document. `validateBody` takes only these names, so a body the daemon checks is a body the
 * document describes, from the same file.
 */
export const BODY_SCHEMAS = {
  'send-message': 'SendMessageRequest',
  suppression: 'SuppressionRequest',
  'compat-send-sms': 'CompatSendSmsRequest',
  'compat-send-whatsapp': 'CompatSendWhatsAppRequest',
  'compat-omnichannel': 'CompatOmnichannelRequest',
  'messaging-connect-test': 'MessagingConnectTestRequest',
  'avaya-configs': 'AvayaConfigsRequest',
} as const;

export type BodySchema = keyof typeof BODY_SCHEMAS;

/** The file of `schemas/` that holds a body schema. */
export const bodySchemaFile = (name: BodySchema): string => `api/${name}.schema.json`;

/** The file of `schemas/` with the shapes the API answers with (`$defs`, named as in the document). */
export const RESPONSE_SCHEMAS_FILE = 'api/responses.schema.json';
