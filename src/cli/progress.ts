// A one-line progress bar on stderr (only when stderr is a terminal; silent in pipes and CI).
export function progressBar(total: number, label: string) {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  const draw = () => {
    if (!tty || total === 0) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
  };
  draw();
  return {
    tick(n = 1) {
      done = Math.min(total, done + n);
      draw();
    },
    done() {
      if (tty && total > 0) process.stderr.write('\n');
    },
  };
}
