// A counting semaphore: at most `limit` holders at once, the rest wait in
// arrival order. For work that costs memory or pooled connections (large
// messages) so that bursts queue in-process instead of exhausting either.

export type Semaphore = {
  /** Runs `work` once a slot is free; the slot is released when it settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders right now. */
  active(): number;
  /** Callers waiting for a slot. */
  waiting(): number;
};

export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    async run(work) {
      if (active < limit) active++;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await work();
      } finally {
        release();
      }
    },
    active: () => active,
    waiting: () => queue.length,
  };
}
