/**
 * How every AWS plugin (SES, End User Messaging SMS and Social) reaches its service: the options
 * they share in `gateway.yaml`, and the SDK v3 client configuration built from them. No AWS SDK
 * import here: the result is the plain object each client's constructor takes.
 */

/** The connection part of an AWS plugin's options (`schemas/plugins/aws-common.schema.json`). */
export interface AwsConnectionOptions {
  region: string;
  /** Static credentials; without them the SDK's default chain (environment, profile, role) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Replaces the service endpoint (a local fake, LocalStack, a VPC endpoint). */
  endpoint?: string;
  timeout: string;
}

export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  requestHandler: { requestTimeout: number; connectionTimeout: number };
}

/**
 * The SDK client configuration for one instance. `maxAttempts: 1` because the scheduler owns
 * retries (with its stored backoff); a client that retried by itself would hide throttling from
 * it and could send twice behind its back.
 *
 * @example new SESv2Client(awsClientConfig({ region: 'eu-west-1', timeout: '10s' }, 10_000))
 */
export function awsClientConfig(options: AwsConnectionOptions, timeoutMs: number): AwsClientConfig {
  const credentials = options.accessKeyId !== undefined && options.secretAccessKey !== undefined
    ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, ...(options.sessionToken !== undefined ? { sessionToken: options.sessionToken } : {}) }
    : undefined;
  return {
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 1,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs },
  };
}
