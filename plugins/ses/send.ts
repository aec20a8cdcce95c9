import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { ProviderError, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';
import type { SesOptions } from './options.js';

/** The EmailTags names SES echoes in every event's `mail.tags`, so an event can be traced to its attempt. */
export const ATTEMPT_TAG = 'switchboard-attempt';
export const MESSAGE_TAG = 'switchboard-message';

const refuse = (message: string): ProviderError => new ProviderError(message, { reason: 'client' });

/** SES templates take named variables; positional ones become `{"1": …, "2": …}`. */
function templateData(variables: TemplateContent['variables']): string {
  if (variables === undefined) return '{}';
  return JSON.stringify(Array.isArray(variables) ? Object.fromEntries(variables.map((v, i) => [String(i + 1), v])) : variables);
}

function content(message: OutboundMessage): SendEmailCommandInput['Content'] {
  const { template, subject, text, html } = message.content;
  if (template) {
    const ref = template.name.startsWith('arn:') ? { TemplateArn: template.name } : { TemplateName: template.name };
    return { Template: { ...ref, TemplateData: templateData(template.variables) } };
  }
  if (subject === undefined || subject === '') throw refuse('an email needs a subject (content.subject or content.channels.email.subject) or a template');
  if ((text ?? '') === '' && (html ?? '') === '') throw refuse('an email needs text, html or a template');
  return {
    Simple: {
      Subject: { Data: subject, Charset: 'UTF-8' },
      Body: {
        ...(text ? { Text: { Data: text, Charset: 'UTF-8' } } : {}),
        ...(html ? { Html: { Data: html, Charset: 'UTF-8' } } : {}),
      },
    },
  };
}

/**
 * The `SendEmail` request for one attempt, or a permanent `client` ProviderError for what SES would
 * refuse anyway (no recipient address, no subject, nothing to send).
 */
export function buildSendEmail(message: OutboundMessage, options: SesOptions): SendEmailCommandInput {
  if (message.channel !== 'email') throw refuse(`SES sends email, not ${message.channel}`);
  if (!message.to.includes('@')) throw refuse('the message has no email address to send to');
  const configurationSet = message.content.configurationSet ?? options.configurationSet;
  return {
    FromEmailAddress: message.from ?? options.from,
    ...(options.fromArn !== undefined ? { FromEmailAddressIdentityArn: options.fromArn } : {}),
    Destination: { ToAddresses: [message.to] },
    ...(options.replyTo !== undefined ? { ReplyToAddresses: [...options.replyTo] } : {}),
    Content: content(message),
    EmailTags: [{ Name: ATTEMPT_TAG, Value: message.attemptId }, { Name: MESSAGE_TAG, Value: message.messageId }],
    ...(configurationSet !== undefined ? { ConfigurationSetName: configurationSet } : {}),
  };
}
