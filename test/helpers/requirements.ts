// Suites that need software outside node_modules (Chromium for the browser tests, PostgreSQL for the
// store and team-mode tests, the pinned Claude Code CLI for the end-to-end test) ask here whether they
// may run. On a developer's machine a missing dependency skips the suite with one printed line saying
// what to install. Under CI=true nothing may skip: the same gap throws, so the file fails loudly.

/** True when CI is set to anything but an explicit no (`CI=true`, `CI=1`). */
export function inCI(): boolean {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

const announced = new Set<string>();

/**
 * Gate for a suite. `missing` is null when the dependency is there, else what to install, phrased to
 * follow "skipping <suite>: " (e.g. "install Debian chromium (apt-get install chromium)").
 * Returns true when the suite may run, false (after one printed line) when it must be skipped.
 * Throws under CI.
 */
export function canRun(suite: string, missing: string | null): boolean {
  if (missing === null) return true;
  if (inCI()) {
    throw new Error(`${suite} cannot run: ${missing}. CI=true, so a missing system dependency fails the run instead of skipping it.`);
  }
  const line = `skipping ${suite}: ${missing}`;
  if (!announced.has(line)) {
    announced.add(line);
    // Straight to stderr: one line, not a console block attributed to a test.
    process.stderr.write(`${line}\n`);
  }
  return false;
}
