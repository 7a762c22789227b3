import cliProgress from "cli-progress";

/** A progress bar on a terminal, nothing in a pipe. */
/** The two passes of a file import (validate, then import) fill one bar: half each. */
export function fileProgress(label: string): { update(bytes: number, total: number, records: number, phase?: "validate" | "import"): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {phase} | {records} records`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(bytes, total, records, phase) {
      const size = Math.max(total, 1);
      const label = phase === "validate" ? "checking" : "importing";
      if (!started) {
        bar.start(2 * size, 0, { records: 0, phase: label });
        started = true;
      }
      bar.setTotal(2 * size);
      const done = Math.min(bytes, size) + (phase === "import" ? size : 0);
      bar.update(phase === undefined ? 2 * Math.min(bytes, size) : done, { records, phase: label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
