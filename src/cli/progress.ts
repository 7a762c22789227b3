import cliProgress from "cli-progress";

/** A progress bar on a terminal, nothing in a pipe. */
export function fileProgress(label: string): { update(bytes: number, total: number, records: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {records} records`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(bytes, total, records) {
      if (!started) {
        bar.start(Math.max(total, 1), 0, { records: 0 });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(Math.min(bytes, total), { records });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
