/**
 * What must wait for a commit that has not happened yet: work to start once it succeeded (arm a
 * timer, call a provider) and changes to undo if it is refused. A message's accept routes before
 * its own commit and registers both.
 */
export interface CommitHooks {
  committed(fn: () => void): void;
  refused(fn: () => void): void;
}
