import { afterEach, beforeEach, inject } from 'vitest';
import { startGateway, type TestGateway } from './gateway.js';
import { createDatabase } from './postgres.js';

/** A config's store moved onto PostgreSQL, its URL read from `${env:DATABASE_URL}` as an operator would keep it. */
export const onPostgres = (config: string, extra = ''): string =>
  config.replace('store: { path: ./data }', `store: { kind: postgres, url: "\${env:DATABASE_URL}"${extra ? `, ${extra}` : ''} }`);

/**
 * Gateways on a fresh database per test (of the run's throwaway cluster): `start` runs one more on
 * it (in `dir` to restart one), `stop` closes one keeping its folder; every one left is closed and
 * the database dropped after each test.
 *
 * @example
 *   const pg = postgresGateways(onPostgres(yaml));
 *   const a = await pg.start(); const b = await pg.start();
 */
export function postgresGateways(defaultYaml: string) {
  let db: { url: string; drop(): Promise<void> } | undefined;
  const running: TestGateway[] = [];
  beforeEach(async () => {
    db = await createDatabase(inject('postgresUrl'));
  });
  const closeAll = async () => {
    for (const gw of running.splice(0)) await gw.close().catch(() => undefined);
  };
  afterEach(async () => {
    await closeAll();
    await db?.drop();
  });
  return {
    get url(): string {
      if (!db) throw new Error('no database outside a test');
      return db.url;
    },
    async start(dir?: string, yaml = defaultYaml): Promise<TestGateway> {
      const gw = await startGateway(yaml, { env: { DATABASE_URL: this.url }, dir });
      running.push(gw);
      return gw;
    },
    /** Closes every gateway still running (before the fakes they talk to). */
    closeAll,
    async stop(gw: TestGateway): Promise<void> {
      running.splice(running.indexOf(gw), 1);
      await gw.close(true);
    },
  };
}
