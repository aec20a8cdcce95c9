/**
 * The HTTP server under the AWS service fakes (SES v2, End User Messaging SMS and Social): it
 * records every request, answers through the service's route table, and scripts failures the way
 * the service's protocol reports them, so the real SDK clients parse them as typed exceptions.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsRecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when not JSON). */
  body: unknown;
  raw: string;
}

/** An exception as the service would answer it; `fields` go into the body (`Reason`, `Fields`…). */
export interface AwsFailure {
  status: number;
  name: string;
  message?: string;
  fields?: Record<string, unknown>;
}

export type AwsScript = AwsFailure | { delayMs: number };

/** `rest-json`: error name in `x-amzn-ErrorType`; `json-1.0`: in the body's `__type`. */
export type AwsProtocol = 'rest-json' | 'json-1.0';

export interface AwsAnswer {
  status: number;
  body: unknown;
}

export interface AwsFake {
  url: string;
  requests: AwsRecordedRequest[];
  /** The next `times` requests get this instead of a normal answer. */
  failNext(script: AwsScript, times?: number): void;
  close(): Promise<void>;
}

const CONTENT_TYPE: Record<AwsProtocol, string> = { 'rest-json': 'application/json', 'json-1.0': 'application/x-amz-json-1.0' };

/** Starts a fake whose `route` answers a recorded request, or undefined for 404 (UnknownOperationException). */
export async function startAwsFake(protocol: AwsProtocol, route: (req: AwsRecordedRequest) => AwsAnswer | undefined): Promise<AwsFake> {
  const requests: AwsRecordedRequest[] = [];
  const scripts: AwsScript[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const recorded: AwsRecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, raw };
    requests.push(recorded);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': CONTENT_TYPE[protocol], 'x-amzn-requestid': `req-${requests.length}`, ...headers }).end(JSON.stringify(payload));
    const script = scripts.shift();
    if (script && 'delayMs' in script) await new Promise((r) => setTimeout(r, script.delayMs));
    else if (script) {
      if (protocol === 'rest-json') return send(script.status, { message: script.message ?? script.name, ...script.fields }, { 'x-amzn-errortype': script.name });
      return send(script.status, { __type: script.name, Message: script.message ?? script.name, ...script.fields });
    }
    const answer = route(recorded);
    if (!answer) return send(404, { __type: 'UnknownOperationException', message: `no operation at ${recorded.method} ${recorded.path}` }, { 'x-amzn-errortype': 'UnknownOperationException' });
    send(answer.status, answer.body, answer.status >= 400 && isNamed(answer.body) ? { 'x-amzn-errortype': answer.body.__type } : {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(script, times = 1) {
      for (let i = 0; i < times; i += 1) scripts.push(script);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const isNamed = (body: unknown): body is { __type: string } => typeof body === 'object' && body !== null && typeof (body as { __type?: unknown }).__type === 'string';

/** The SigV4 credential scope a request was signed for: `AKID/20261129/us-east-1/ses/aws4_request`. */
export function signedScope(req: AwsRecordedRequest): string | undefined {
  return /Credential=([^,]+)/.exec(String(req.headers.authorization ?? ''))?.[1];
}

/** What a send fake makes of one request of its operation: a record and the 200 body, or a refusal. */
export type SendOutcome<S> = { record: S; answer: unknown } | { refuse: AwsAnswer };

/**
 * A fake of one send operation: requests `isOperation` recognizes are accepted (recorded in `sent`,
 * answered 200) or refused by `accept`; anything else is an unknown operation.
 */
export async function startSendFake<S>(protocol: AwsProtocol, isOperation: (req: AwsRecordedRequest) => boolean, accept: (req: AwsRecordedRequest) => SendOutcome<S>): Promise<AwsFake & { sent: S[] }> {
  const sent: S[] = [];
  const fake = await startAwsFake(protocol, (req) => {
    if (!isOperation(req)) return undefined;
    const outcome = accept(req);
    if ('refuse' in outcome) return outcome.refuse;
    sent.push(outcome.record);
    return { status: 200, body: outcome.answer };
  });
  return { ...fake, sent };
}
