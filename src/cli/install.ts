// Registers the plugin with Claude Code by editing <config dir>/settings.json: a local
// "directory" marketplace pointing at this package, and the plugin enabled. Claude Code then loads
// hooks/hooks.json and .mcp.json from here. Backup first, atomic write, unrelated keys untouched.
import fs from 'node:fs';
import { claudeConfigDir, claudeSettingsPath } from '../config/paths.js';
import { parseJsonText, writeFileAtomic } from '../lib/fsutil.js';

export const MARKETPLACE = 'claude-mem-local';
export const PLUGIN_ID = `claude-mem@${MARKETPLACE}`;

type Json = Record<string, unknown>;

function readSettings(file: string): Json {
  if (!fs.existsSync(file)) return {};
  const data = parseJsonText(fs.readFileSync(file, 'utf8'), file);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${file} must contain a JSON object; fix it by hand, then run install again`);
  }
  return data as Json;
}

function backup(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  const copy = `${file}.claude-mem-backup`;
  fs.copyFileSync(file, copy);
  return copy;
}

function objectAt(obj: Json, key: string): Json {
  const v = obj[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

export interface InstallResult {
  settingsFile: string;
  backup: string | null;
  changed: boolean;
}

export function install(pluginRoot: string): InstallResult {
  fs.mkdirSync(claudeConfigDir(), { recursive: true });
  const file = claudeSettingsPath();
  const settings = readSettings(file);
  const marketplaces = objectAt(settings, 'extraKnownMarketplaces');
  const enabled = objectAt(settings, 'enabledPlugins');
  const wanted = { source: { source: 'directory', path: pluginRoot } };
  const changed =
    JSON.stringify(marketplaces[MARKETPLACE]) !== JSON.stringify(wanted) || enabled[PLUGIN_ID] !== true;
  if (!changed) return { settingsFile: file, backup: null, changed: false };
  const saved = backup(file);
  settings.extraKnownMarketplaces = { ...marketplaces, [MARKETPLACE]: wanted };
  settings.enabledPlugins = { ...enabled, [PLUGIN_ID]: true };
  writeFileAtomic(file, JSON.stringify(settings, null, 2) + '\n');
  return { settingsFile: file, backup: saved, changed: true };
}

/** Keys present before we first installed, per the backup install wrote (null: no usable backup). */
function keysBeforeInstall(file: string): Set<string> | null {
  try {
    const before = JSON.parse(fs.readFileSync(`${file}.claude-mem-backup`, 'utf8')) as unknown;
    return before && typeof before === 'object' && !Array.isArray(before) ? new Set(Object.keys(before)) : null;
  } catch {
    return null;
  }
}

export function uninstall(): InstallResult {
  const file = claudeSettingsPath();
  const settings = readSettings(file);
  const marketplaces = objectAt(settings, 'extraKnownMarketplaces');
  const enabled = objectAt(settings, 'enabledPlugins');
  if (!(MARKETPLACE in marketplaces) && !(PLUGIN_ID in enabled)) return { settingsFile: file, backup: null, changed: false };
  // Read before backup() overwrites it: an empty container the user already had is kept.
  const hadBefore = keysBeforeInstall(file);
  const saved = backup(file);
  delete marketplaces[MARKETPLACE];
  delete enabled[PLUGIN_ID];
  // Drop containers that only we had filled, so install + uninstall leaves the file as it was.
  const keep = (key: string, value: Json) => Object.keys(value).length > 0 || !!hadBefore?.has(key);
  if (keep('extraKnownMarketplaces', marketplaces)) settings.extraKnownMarketplaces = marketplaces;
  else delete settings.extraKnownMarketplaces;
  if (keep('enabledPlugins', enabled)) settings.enabledPlugins = enabled;
  else delete settings.enabledPlugins;
  writeFileAtomic(file, JSON.stringify(settings, null, 2) + '\n');
  return { settingsFile: file, backup: saved, changed: true };
}

export function isInstalled(pluginRoot?: string): { installed: boolean; path: string | null } {
  try {
    const settings = readSettings(claudeSettingsPath());
    const m = objectAt(settings, 'extraKnownMarketplaces')[MARKETPLACE] as { source?: { path?: string } } | undefined;
    const on = objectAt(settings, 'enabledPlugins')[PLUGIN_ID] === true;
    const p = m?.source?.path ?? null;
    return { installed: on && !!p && (!pluginRoot || p === pluginRoot), path: p };
  } catch {
    return { installed: false, path: null };
  }
}
