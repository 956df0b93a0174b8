// The one piece of state several views share: the project filter (empty = all projects).

let project = '';
const listeners = new Set<(p: string) => void>();

export function currentProject(): string {
  return project;
}

export function setProject(p: string): void {
  if (p === project) return;
  project = p;
  for (const fn of listeners) fn(p);
}

export function onProjectChange(fn: (p: string) => void): void {
  listeners.add(fn);
}
