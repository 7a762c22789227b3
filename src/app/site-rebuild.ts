/**
 * The journal site's rebuild, handed off by the journal stage: every `journal.post` job that commits asks
 * for one (src/journal/handler.ts `onPosted`), and requests that arrive while a build runs are folded into
 * one more build after it — a burst of posts builds the site twice at most, and no timer polls for posts.
 */
export interface SiteRebuilder {
  /** A post was written: rebuild now, or once more after the build under way. Never throws. */
  request(): void;
  /** Resolves when no build is running or pending. */
  settled(): Promise<void>;
}

export function siteRebuilder(build: () => Promise<unknown>, onError: (error: unknown) => void): SiteRebuilder {
  let running: Promise<void> | null = null;
  let pending = false;
  const loop = async () => {
    while (pending) {
      pending = false;
      try {
        await build();
      } catch (error) {
        onError(error);
      }
    }
    running = null;
  };
  return {
    request() {
      pending = true;
      running ??= loop();
    },
    settled: () => running ?? Promise.resolve(),
  };
}
