import { readSchema } from '../../schemas.js';

/**
 * A plugin's options schema with the options all AWS plugins share (region, credentials, endpoint,
 * timeout, sns) merged in, so the three schemas cannot drift apart.
 *
 * @example optionsSchema: awsOptionsSchema('plugins/ses.schema.json')
 */
export function awsOptionsSchema(relative: string): Record<string, unknown> {
  const own = readSchema(relative);
  const common = readSchema('plugins/aws-common.schema.json');
  return {
    ...own,
    required: [...((common.required as string[]) ?? []), ...((own.required as string[]) ?? [])],
    properties: { ...(common.properties as object), ...(own.properties as object) },
    dependencies: { ...(common.dependencies as object), ...((own.dependencies as object) ?? {}) },
  };
}
