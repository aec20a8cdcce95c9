export interface ReloadResult {
  ok: boolean;
  errors?: readonly string[];
  /** The hash of the configuration now serving (after a successful reload). */
  configHash?: string;
  /**
   * Settings whose new value differs from what the process started with and only a restart applies
   * (`server.port`, `store.path`…); the rest of the new configuration is live.
   */
  restartRequired?: readonly string[];
  /** A refused file's secrets, as far as it was read: its errors may quote them, so answers mask them. */
  secrets?: ReadonlySet<string>;
}

/**
 * Coalesces reloads: while one runs, every further request (SIGHUP storms included) shares one
 * follow-up run, which starts after the current one and so sees the newest file.
 *
 * @example const reloader = createReloader(() => reloadOnce()); await reloader.reload();
 */
export function createReloader(run: () => Promise<ReloadResult>) {
  let current: Promise<ReloadResult> | undefined;
  let next: Promise<ReloadResult> | undefined;

  function start(): Promise<ReloadResult> {
    current = run().finally(() => {
      current = undefined;
    });
    return current;
  }

  return {
    reload(): Promise<ReloadResult> {
      if (!current) return start();
      next ??= current.then(() => {
        next = undefined;
        return start();
      });
      return next;
    },
  };
}
