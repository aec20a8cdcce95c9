/**
 * A local fake of the Microsoft Entra token endpoint for `@azure/identity`'s client-secret flow:
 * the tenant's OpenID metadata and `POST /<tenant>/oauth2/v2.0/token` (client credentials, form
 * fields). Tokens expire after `expiresIn`; the ACS fake accepts only live ones.
 *
 * @example
 *   const entra = await startEntraFake({ expiresIn: 100 });
 *   // acs options: { tenantId: entra.tenantId, clientId: entra.clientId, clientSecret: entra.clientSecret, authorityHost: entra.url, allowInsecure: true }
 */
import { randomBytes } from 'node:crypto';
import { failureQueue, json, startFakeServer, type Failure } from './fake-server.js';

export interface EntraGrant {
  form: Record<string, string>;
  /** The token issued, or undefined when refused. */
  token?: string;
}

export interface EntraFake {
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  grants: EntraGrant[];
  /** Whether `token` was issued here and has not expired. */
  isLive(token: string): boolean;
  failNextToken(failure: Failure | number, times?: number): void;
  close(): Promise<void>;
}

export async function startEntraFake(options: { expiresIn?: number; tenantId?: string } = {}): Promise<EntraFake> {
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const expiresIn = options.expiresIn ?? 3600;
  const tokens = new Map<string, number>();
  const failures = failureQueue();
  const fake: EntraFake = {
    url: '', tenantId, clientId: 'a1b2c3d4-0000-4000-8000-00000000c11e', clientSecret: 'entra-fake-client-secret', grants: [],
    isLive: (token) => (tokens.get(token) ?? 0) > Date.now(),
    failNextToken: failures.push,
    close: async () => undefined,
  };
  const server = await startFakeServer(async (req, res, recorded) => {
    const path = recorded.url.split('?')[0];
    // @azure/identity was told the https form of this host (it refuses http), so answer in kind.
    const base = `https://${req.headers.host}/${tenantId}`;
    if (req.method === 'GET' && path === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      return json(res, 200, { token_endpoint: `${base}/oauth2/v2.0/token`, issuer: `${base}/v2.0`, authorization_endpoint: `${base}/oauth2/v2.0/authorize`, jwks_uri: `${base}/discovery/v2.0/keys`, end_session_endpoint: `${base}/oauth2/v2.0/logout` });
    }
    if (req.method !== 'POST' || path !== `/${tenantId}/oauth2/v2.0/token`) return json(res, 404, { error: 'not_found' });
    const form = Object.fromEntries(new URLSearchParams(recorded.raw));
    const grant: EntraGrant = { form };
    fake.grants.push(grant);
    if (await failures.apply(res, (status) => ({ error: status >= 500 ? 'temporarily_unavailable' : 'invalid_client', error_description: 'scripted' }))) return;
    if (form.grant_type !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
    if (form.client_id !== fake.clientId || form.client_secret !== fake.clientSecret) {
      return json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
    }
    if (form.scope !== 'https://communication.azure.com//.default') return json(res, 400, { error: 'invalid_scope', error_description: `unexpected scope ${form.scope}` });
    grant.token = `eyJ0eXAiOiJKV1QifQ.${randomBytes(12).toString('base64url')}.sig`;
    tokens.set(grant.token, Date.now() + expiresIn * 1000);
    json(res, 200, { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: grant.token });
  });
  fake.url = server.url;
  fake.close = server.close;
  return fake;
}
