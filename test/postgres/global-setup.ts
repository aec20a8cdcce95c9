/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole run (initdb is paid once);
 * test files reach it with `inject('postgresUrl')` and make their own databases.
 */
import type { TestProject } from 'vitest/node';
import { startCluster } from '../helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster();
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
