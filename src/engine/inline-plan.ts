import type { ValidateFunction } from 'ajv';
import { createAjv, describeAjvError } from '../config/ajv.js';
import { stepConsentProblems, stepProviderProblems } from '../config/cross-checks.js';
import type { LoadedConfig } from '../config/load.js';
import type { RouteConfig } from '../config/types.js';
import { AppError } from '../errors.js';
import { readSchema } from '../schemas.js';

/** The route name an inline plan's message carries (a metric label: one value, not one per plan). */
export const INLINE_ROUTE = 'inline';

let validate: ValidateFunction | undefined;

/** The very schema a route in `gateway.yaml` is checked against, defaults included. */
function routeValidator(): ValidateFunction {
  if (!validate) {
    const gateway = readSchema('gateway.schema.json') as { properties: { routes: { additionalProperties: object } } };
    validate = createAjv({ shipped: true }).compile(gateway.properties.routes.additionalProperties);
  }
  return validate;
}

function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A message's own plan (`route: {mode, steps}`), checked like a route of `gateway.yaml`: the same
 * schema and defaults, then the same cross-checks against the running config (providers exist and
 * send on the step's channel, a step's `from` is one of theirs, consent policies exist). Throws
 * `validation_failed` with every problem, paths under `/route`.
 *
 * @example resolveInlinePlan({ steps: [{ channel: 'sms', providers: ['twilio-us'] }] }, loaded) // → { mode: 'fallback', resendUnknown: false, steps: [{ …, until: 'delivered', within: '30s' }] }
 */
export function resolveInlinePlan(raw: unknown, loaded: LoadedConfig): RouteConfig {
  const plan = structuredClone(raw);
  const check = routeValidator();
  if (!check(plan)) {
    const details = (check.errors ?? []).map((e) => ({ path: `/route${e.instancePath}`, message: describeAjvError(e) }));
    throw new AppError('validation_failed', `invalid inline route: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
  const route = plan as RouteConfig;
  const problems = [...stepProviderProblems('route', route, loaded.config, loaded.plugins), ...stepConsentProblems('route', route, loaded.config)];
  if (problems.length > 0) {
    const details = problems.map((p) => ({ path: `/route/${p.path.join('/')}`, message: p.message }));
    throw new AppError('validation_failed', `invalid inline route: ${problems.map((p) => p.message).join('; ')}`, details);
  }
  return frozen(route);
}
