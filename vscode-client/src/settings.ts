import * as vscode from 'vscode';

export const SECTION = 'golens';

/** Settings that choose a program to run. In a workspace the user has not trusted, a value from
 * the workspace (or a folder in it) could point at anything the repository ships, so only the
 * user's own value counts. package.json lists the same keys as `restrictedConfigurations`. */
export const RESTRICTED_KEYS = ['server.path', 'server.python', 'trace.path'] as const;

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'info', 'debug'];

export interface ExtensionSettings {
  serverPath: string | undefined;
  serverPython: string | undefined;
  logLevel: LogLevel;
  trusted: boolean;
}

/** A setting's value, ignoring workspace and folder values when the workspace is untrusted. */
export function trustedValue<T>(
  config: vscode.WorkspaceConfiguration,
  key: string,
  trusted: boolean,
): T | undefined {
  const inspected = config.inspect<T>(key);
  if (!inspected) {
    return undefined;
  }
  if (trusted) {
    return (
      inspected.workspaceFolderValue ??
      inspected.workspaceValue ??
      inspected.globalValue ??
      inspected.defaultValue
    );
  }
  return inspected.globalValue ?? inspected.defaultValue;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function parseLogLevel(value: unknown): LogLevel {
  return LOG_LEVELS.includes(value as LogLevel) ? (value as LogLevel) : 'info';
}

export function readExtensionSettings(scope?: vscode.Uri): ExtensionSettings {
  const trusted = vscode.workspace.isTrusted;
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    serverPath: nonEmpty(trustedValue<string>(config, 'server.path', trusted)),
    serverPython: nonEmpty(trustedValue<string>(config, 'server.python', trusted)),
    logLevel: parseLogLevel(config.get('logLevel')),
    trusted,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns `{"a.b": 1}` into `{a: {b: 1}}`: VS Code hands back dotted keys for settings written
 * flat in settings.json, the server reads nested objects. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (!isObject(node[part])) {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    node[last] = isObject(value) && isObject(node[last])
      ? { ...(node[last] as Record<string, unknown>), ...nest(value) }
      : isObject(value) ? nest(value) : value;
  }
  return out;
}

function dropNulls(node: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || value === undefined) {
      delete node[key];
    } else if (isObject(value)) {
      dropNulls(value);
    }
  }
}

/**
 * What the server gets for the `golens` section (initializationOptions, and every
 * workspace/configuration answer): the user's settings minus the client-only ones, with trace
 * loading switched off in an untrusted workspace so that only static checks run there.
 */
export function serverSettings(raw: unknown, trusted: boolean): Record<string, unknown> {
  const settings = isObject(raw) ? nest(JSON.parse(JSON.stringify(raw))) : {};
  // How the server was started and the client's LSP message tracing are not the server's business.
  delete settings.server;
  delete settings.lsp;
  // Unset optional settings (max-file-size, thresholds) are null: absent means "the server's
  // default or golens.toml", null would override them.
  dropNulls(settings);
  const trace = isObject(settings.trace) ? settings.trace : {};
  if (!trusted) {
    trace.autoLoad = false;
    trace.path = '';
  }
  settings.trace = trace;
  settings.trusted = trusted;
  return settings;
}

/** The `golens` section as VS Code resolves it for `scope` (user < workspace < folder; in an
 * untrusted workspace VS Code itself drops workspace values of the restricted settings). */
export function currentServerSettings(scope?: vscode.Uri): Record<string, unknown> {
  const raw = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(SECTION);
  return serverSettings(raw, vscode.workspace.isTrusted);
}
