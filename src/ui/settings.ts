// Settings: every key of settings.json with its description as help text, validation errors next
// to the field, and write-only credentials (the page only ever learns "set / not set" and where from).
// Fixed choices come from the worker's settings schema: a select for one-of settings, a checkbox for
// true/false ones, so nothing can be mistyped there.
import type { SettingKind, SettingsResponse as SettingsState } from '../api/types.js';
import { api, ApiError, errorMessage } from './api.js';
import { h, mount, toast } from './dom.js';

type Control = HTMLInputElement | HTMLSelectElement;

/** A control's value as settings.json holds it ("true"/"false" for a checkbox). */
function valueOf(c: Control): string {
  return c instanceof HTMLInputElement && c.type === 'checkbox' ? String(c.checked) : c.value;
}

function setValue(c: Control, value: string): void {
  if (c instanceof HTMLInputElement && c.type === 'checkbox') c.checked = value === 'true';
  else c.value = value;
}

const GROUPS: Array<[string, RegExp]> = [
  ['Memory agent', /^CLAUDE_MEM_(PROVIDER|MODEL|CLAUDE_TRANSPORT|AUTODETECT|OPENROUTER_|OPENAI_|GEMINI_)/],
  ['Context injection', /^CLAUDE_MEM_(CONTEXT_|FILE_CONTEXT)/],
  ['Budget and retries', /^CLAUDE_MEM_(DAILY_TOKEN_BUDGET|RETRY_|QUEUE_|AGENT_HISTORY|FIELD_MAX)/],
  ['Capture', /^CLAUDE_MEM_(SKIP_TOOLS|EXCLUDED_PROJECTS)/],
  ['Search and storage', /^CLAUDE_MEM_(EMBEDDINGS|DATABASE_URL|SHARED_PROJECTS)/],
  ['Worker', /^CLAUDE_MEM_/],
];

export function initSettings(root: HTMLElement): { refresh: () => Promise<void> } {
  let loaded: SettingsState | null = null;
  const inputs = new Map<string, Control>();
  const restartBox = h('div', { id: 'restart-box', class: 'banner banner-info', hidden: true });

  const showRestart = (why: string) => {
    const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'restart-btn' }, 'Restart worker');
    btn.addEventListener('click', () => void restart(btn));
    mount(restartBox, h('p', {}, why), btn);
    restartBox.hidden = false;
  };

  const restart = async (btn: HTMLButtonElement) => {
    btn.disabled = true;
    btn.textContent = 'Restarting…';
    try {
      const before = (await api.health()).pid;
      await api.restart();
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        try {
          const now = await api.health();
          if (now.pid !== before) {
            restartBox.hidden = true;
            toast(`Worker restarted (pid ${now.pid}).`);
            await refresh();
            return;
          }
        } catch {
          /* down while restarting */
        }
      }
      toast('The worker did not come back within 30 s. Check the error log.', 'error');
    } catch (err) {
      toast(`Restart failed: ${errorMessage(err)}`, 'error');
    }
    btn.disabled = false;
    btn.textContent = 'Restart worker';
  };

  const control = (key: string, id: string, value: string, secret: boolean, kind: SettingKind | undefined): Control => {
    const described = { id, name: key, 'aria-describedby': `${id}-help ${id}-err` };
    if (!secret && kind?.type === 'enum') {
      // A value the list does not know (hand-edited file) stays visible rather than silently changing.
      const values = kind.values.includes(value) ? kind.values : [value, ...kind.values];
      const select = h('select', described, ...values.map((v) => h('option', { value: v }, v)));
      select.value = value;
      return select;
    }
    if (!secret && kind?.type === 'bool') {
      const box = h('input', { ...described, type: 'checkbox', class: 'checkbox' });
      box.checked = value === 'true';
      return box;
    }
    return h('input', {
      ...described,
      type: secret ? 'password' : 'text',
      value: secret ? '' : value,
      inputmode: kind?.type === 'int' ? 'numeric' : null,
      autocomplete: secret ? 'new-password' : 'off',
      spellcheck: 'false',
      placeholder: secret ? 'write-only: leave empty to keep' : '',
    });
  };

  const field = (key: string, value: string, description: string, secret: boolean, kind: SettingKind | undefined): HTMLElement => {
    const id = `set-${key}`;
    const input = control(key, id, value, secret, kind);
    inputs.set(key, input);
    const label = h('label', { for: id }, key.replace(/^CLAUDE_MEM_/, ''), h('span', { class: 'sr-only' }, ` (${key})`));
    return h(
      'div',
      { class: `field${kind?.type === 'bool' ? ' field-bool' : ''}`, 'data-key': key },
      ...(kind?.type === 'bool' ? [h('div', { class: 'bool-row' }, input, label)] : [label, input]),
      h('p', { class: 'hint', id: `${id}-help` }, description, h('code', { class: 'key' }, key)),
      h('p', { class: 'field-error', id: `${id}-err`, hidden: true }),
    );
  };

  const clearErrors = () => {
    for (const [key, input] of inputs) {
      input.removeAttribute('aria-invalid');
      const err = document.getElementById(`set-${key}-err`);
      if (err) {
        err.textContent = '';
        err.hidden = true;
      }
    }
  };

  const showFieldErrors = (fields: Record<string, string>): boolean => {
    let first = null as Control | null;
    for (const [key, message] of Object.entries(fields)) {
      const input = inputs.get(key);
      const err = document.getElementById(`set-${key}-err`);
      if (!input || !err) continue;
      input.setAttribute('aria-invalid', 'true');
      err.textContent = message;
      err.hidden = false;
      first ??= input;
    }
    if (first) {
      // Centre the field so its message is not hidden under the sticky header or save bar.
      first.closest('.field')?.scrollIntoView({ block: 'center' });
      first.focus({ preventScroll: true });
    }
    return first !== null;
  };

  const save = async (formError: HTMLElement, button: HTMLButtonElement) => {
    if (!loaded) return;
    clearErrors();
    formError.hidden = true;
    const changed: Record<string, string> = {};
    for (const [key, input] of inputs) {
      const secret = loaded.secretKeys.includes(key);
      if (secret ? input.value !== '' : valueOf(input) !== loaded.settings[key]) changed[key] = valueOf(input);
    }
    if (!Object.keys(changed).length) {
      toast('Nothing changed.');
      return;
    }
    button.disabled = true;
    try {
      const res = await api.saveSettings(changed);
      loaded.settings = res.settings;
      for (const [key, input] of inputs) setValue(input, loaded.secretKeys.includes(key) ? '' : (res.settings[key] ?? ''));
      toast('Settings saved.');
      if (res.restartRequired) showRestart('Some of these changes take effect after the worker restarts.');
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : {};
      if (!showFieldErrors(fields)) {
        formError.textContent = errorMessage(err);
        formError.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  };

  const credentialsPanel = (state: SettingsState): HTMLElement => {
    const credInputs = new Map<string, HTMLInputElement>();
    const rows = Object.entries(state.credentials).map(([key, c]) => {
      const id = `cred-${key}`;
      const input = h('input', { id, name: key, type: 'password', autocomplete: 'new-password', spellcheck: 'false', placeholder: c.set ? 'set: type to replace' : 'not set', 'aria-describedby': `${id}-state` });
      credInputs.set(key, input);
      return h(
        'div',
        { class: 'field cred', 'data-key': key },
        h('label', { for: id }, key),
        input,
        h('p', { class: `hint cred-state ${c.set ? 'is-set' : 'not-set'}`, id: `${id}-state` }, c.set ? `Set (from ${c.source})` : 'Not set'),
      );
    });
    const error = h('p', { class: 'banner banner-error', role: 'alert', hidden: true });
    const button = h('button', { type: 'submit', class: 'btn btn-primary', id: 'cred-save' }, 'Save credentials');
    const form = h(
      'form',
      { class: 'panel', id: 'credentials-form', 'aria-labelledby': 'cred-h' },
      h('h2', { id: 'cred-h' }, 'Credentials'),
      h('p', { class: 'hint' }, 'Stored in ~/.claude-mem/.env (mode 0600). Write-only: values are never shown again, only whether they are set.'),
      ...rows,
      error,
      h('div', { class: 'actions' }, button),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const values: Record<string, string> = {};
      for (const [k, input] of credInputs) if (input.value) values[k] = input.value;
      if (!Object.keys(values).length) {
        toast('Type a value for at least one credential.');
        return;
      }
      button.disabled = true;
      error.hidden = true;
      try {
        const res = await api.saveCredentials(values);
        for (const input of credInputs.values()) input.value = '';
        toast(`Saved ${res.saved.join(', ')}.`);
        // Saved, but probably not what was meant (a base URL ending in /v1): say so.
        for (const w of res.warnings ?? []) toast(w, 'error');
        await refresh();
        if (res.restartRequired) showRestart('New credentials are used after the worker restarts.');
      } catch (err) {
        error.textContent = errorMessage(err);
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
    return form;
  };

  const refresh = async () => {
    try {
      const state = await api.settings();
      loaded = state;
      inputs.clear();
      const keys = Object.keys(state.settings);
      const used = new Set<string>();
      const groups = GROUPS.map(([label, re]) => {
        const mine = keys.filter((k) => !used.has(k) && re.test(k));
        mine.forEach((k) => used.add(k));
        return [label, mine] as const;
      });
      const rest = keys.filter((k) => !used.has(k));
      if (rest.length) groups.push(['Other', rest]);
      const formError = h('p', { class: 'banner banner-error', role: 'alert', hidden: true, id: 'settings-error' });
      const button = h('button', { type: 'submit', class: 'btn btn-primary', id: 'settings-save' }, 'Save settings');
      const form = h(
        'form',
        { class: 'panel settings-form', id: 'settings-form', 'aria-labelledby': 'settings-h', novalidate: true },
        h('h2', { id: 'settings-h' }, 'Settings'),
        h('p', { class: 'hint' }, 'Saved to ~/.claude-mem/settings.json. Most take effect at once; provider, model, host and port after a restart.'),
        ...groups
          .filter(([, ks]) => ks.length)
          .map(([label, ks]) =>
            h('fieldset', { class: 'group' }, h('legend', {}, label), ...ks.map((k) => field(k, state.settings[k], state.descriptions[k] ?? '', state.secretKeys.includes(k), state.kinds?.[k]))),
          ),
        formError,
        h('div', { class: 'actions sticky-actions' }, button),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void save(formError, button);
      });
      mount(
        root,
        restartBox,
        state.issues.length
          ? h('div', { class: 'banner banner-warn', role: 'alert' }, h('strong', {}, 'settings.json has problems: '), h('ul', {}, ...state.issues.map((i) => h('li', {}, i.message))))
          : null,
        h('div', { class: 'settings-grid' }, form, credentialsPanel(state)),
      );
    } catch (err) {
      mount(root, h('p', { class: 'banner banner-error', role: 'alert' }, `Could not load settings: ${errorMessage(err)}`));
    }
  };
  return { refresh };
}
