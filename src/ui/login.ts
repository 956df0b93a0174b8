// Shown instead of the viewer when the worker answers 401: the viewer needs a session cookie, and
// the only way to get one is a one-time link from `claude-mem open` (worker/auth.ts). The page says
// so plainly; it holds no memory itself.

let shown = false;

export function showLoginScreen(message?: string): void {
  if (shown) return;
  shown = true;
  const main = document.createElement('main');
  main.id = 'login';
  main.setAttribute('role', 'main');
  main.style.cssText = 'max-width:36rem;margin:15vh auto;padding:0 1.5rem;font:16px/1.5 system-ui,sans-serif';
  const h = document.createElement('h1');
  h.textContent = 'claude-mem: log in to see your memory';
  const p1 = document.createElement('p');
  p1.textContent = 'This worker answers only its user. In a terminal on this machine, run:';
  const code = document.createElement('pre');
  code.textContent = 'claude-mem open';
  code.style.cssText = 'padding:.75rem 1rem;border-radius:6px;background:rgba(127,127,127,.15)';
  const p2 = document.createElement('p');
  p2.textContent = 'It opens (or prints) a link that logs this browser in. The link works once, for two minutes.';
  main.append(h, p1, code, p2);
  if (message) {
    const detail = document.createElement('p');
    detail.className = 'muted';
    detail.textContent = message;
    main.append(detail);
  }
  document.body.replaceChildren(main);
}
