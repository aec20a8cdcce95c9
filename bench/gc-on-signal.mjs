// Preloaded into a daemon by bench/startup.ts (node --expose-gc --import): SIGUSR2 runs two full
// collections, so the heap read from /metrics right after is the live heap, not garbage-to-be.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
});
