import { readFile } from 'node:fs/promises';
import { CONNECTION_HELP, CONNECTION_OPTIONS, many, print, str, type Command, type Invocation } from '../command.js';
import { CliError, usageError } from '../io.js';
import { formatTable } from '../table.js';

const CHANNELS = ['phone', 'sms', 'mms', 'whatsapp', 'email'];

type Body = Record<string, unknown> & { to?: Record<string, string | string[]>; content?: Record<string, unknown> };

/** `--to sms=+1555…`; a bare `+1555…` is a phone (both phone channels), a bare `a@b` an email. */
function recipient(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq > 0) {
    const channel = spec.slice(0, eq);
    if (!CHANNELS.includes(channel)) throw usageError(`--to ${spec}: the channel must be one of ${CHANNELS.join(', ')}`);
    return [channel, spec.slice(eq + 1)];
  }
  if (spec.startsWith('+')) return ['phone', spec];
  if (spec.includes('@')) return ['email', spec];
  throw usageError(`--to ${spec}: write CHANNEL=ADDRESS (e.g. sms=+15551234567), a +E.164 number or an email address`);
}

/** `name=value` pairs as an object (`--tag`, named `--var`). */
function pairs(option: string, specs: string[]): Record<string, string> {
  return Object.fromEntries(specs.map((s) => {
    const eq = s.indexOf('=');
    if (eq < 1) throw usageError(`--${option} ${s}: write NAME=VALUE`);
    return [s.slice(0, eq), s.slice(eq + 1)];
  }));
}

async function baseBody(file: string | undefined): Promise<Body> {
  if (file === undefined) return {};
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`--body ${file}: ${err.code ?? err.message}`);
  });
  try {
    return JSON.parse(text) as Body;
  } catch (err) {
    throw new CliError(`--body ${file}: not JSON: ${(err as Error).message}`);
  }
}

/** The request body: the `--body` file if any, with every flag given laid over it. */
export async function sendBody(inv: Invocation): Promise<Body> {
  const body = await baseBody(str(inv, 'body'));
  const to: Record<string, string | string[]> = { ...body.to };
  for (const [channel, address] of many(inv, 'to').map(recipient)) {
    // Several numbers on one phone channel make a group message, as the API takes them.
    const had = to[channel];
    to[channel] = had === undefined ? address : [had, address].flat();
  }
  const content: Record<string, unknown> = { ...body.content };
  for (const name of ['text', 'subject', 'html'] as const) if (str(inv, name) !== undefined) content[name] = str(inv, name);
  if (many(inv, 'media').length > 0) content.media = many(inv, 'media');
  const template = str(inv, 'template');
  if (template !== undefined) {
    const vars = many(inv, 'var');
    // All NAME=VALUE: named variables; otherwise positional ({{1}}, {{2}}…).
    const variables = vars.length === 0 ? undefined : vars.every((v) => v.indexOf('=') > 0) ? pairs('var', vars) : vars;
    content.template = { name: template, ...(str(inv, 'language') ? { language: str(inv, 'language') } : {}), ...(variables ? { variables } : {}) };
  }
  const tags = many(inv, 'tag');
  const result: Body = {
    ...body,
    route: str(inv, 'route') ?? body.route ?? 'default',
    to,
    content,
    ...(tags.length > 0 ? { tags: { ...(body.tags as object), ...pairs('tag', tags) } } : {}),
  };
  for (const [flag, field] of [['callback-url', 'callbackUrl'], ['from', 'from'], ['locale', 'locale']] as const) if (str(inv, flag) !== undefined) result[field] = str(inv, flag);
  if (Object.keys(to).length === 0) throw usageError('no recipient; add --to sms=+15551234567 (or whatsapp=, email=, phone=)');
  if (Object.keys(content).length === 0) throw usageError('no content; add --text, --template or --body FILE');
  return result;
}

export const sendCommand: Command = {
  name: 'send',
  summary: 'send a message through a route',
  help: `usage: switchboard send --to CHANNEL=ADDRESS [--to …] (--text TEXT | --template NAME) [options]

Sends a message (POST /v1/messages) and prints its id and status.

message:
  --route NAME            the route in gateway.yaml (default: default)
  --to CHANNEL=ADDRESS    a recipient; CHANNEL is phone, sms, mms, whatsapp or email; repeat for
                          more channels; a bare +E.164 number means phone, a bare address email
  --text TEXT             the text
  --subject TEXT          the email subject
  --html HTML             the email HTML body
  --media URL             a media URL; repeat for more
  --template NAME         a WhatsApp template, with --language CODE and --var VALUE|NAME=VALUE (repeat)
  --from SENDER           send from this business number or sender id only
  --locale CODE           the recipient's language (picks consent opt-in templates)
  --callback-url URL      where status callbacks go
  --tag NAME=VALUE        a tag; repeat for more
  --idempotency-key KEY   the same key never sends twice
  --body FILE             a JSON request body; the flags above are laid over it
${CONNECTION_HELP}`,
  options: {
    ...CONNECTION_OPTIONS,
    route: { type: 'string' },
    to: { type: 'string', multiple: true },
    text: { type: 'string' },
    subject: { type: 'string' },
    html: { type: 'string' },
    media: { type: 'string', multiple: true },
    template: { type: 'string' },
    language: { type: 'string' },
    var: { type: 'string', multiple: true },
    from: { type: 'string' },
    locale: { type: 'string' },
    'callback-url': { type: 'string' },
    tag: { type: 'string', multiple: true },
    'idempotency-key': { type: 'string' },
    body: { type: 'string' },
  },
  async run(inv) {
    const body = await sendBody(inv);
    const key = str(inv, 'idempotency-key');
    const answer = await inv.api().post<{ id: string; status: string }>('/v1/messages', body, key ? { 'idempotency-key': key } : {});
    print(inv, answer, () => formatTable([answer], [{ title: 'ID', value: (a) => a.id }, { title: 'STATUS', value: (a) => a.status }]));
    return 0;
  },
};
