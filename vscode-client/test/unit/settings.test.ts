import './register';

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, test } from 'node:test';

import * as vscode from 'vscode';

import {
  currentServerSettings, readExtensionSettings, RESTRICTED_KEYS, serverSettings, trustedValue,
} from '../../src/settings';
import { reset, state } from './vscode-stub';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const contributed: Record<string, Record<string, unknown>> = Object.assign(
  {}, ...manifest.contributes.configuration.map((group: { properties: object }) => group.properties));

/** Every contributed default, as VS Code would have them. */
function loadDefaults(): void {
  for (const [key, schema] of Object.entries(contributed)) {
    state.settings.defaultValue[key] = schema.default;
  }
}

beforeEach(() => {
  reset();
  loadDefaults();
  state.restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
});

test('trustedValue: folder > workspace > user > default when trusted; only user and default when not', () => {
  state.settings.globalValue['golens.server.path'] = '/home/u/golens';
  state.settings.workspaceValue['golens.server.path'] = './evil.sh';
  state.settings.workspaceFolderValue['golens.server.path'] = './evil2.sh';
  const config = vscode.workspace.getConfiguration('golens');
  assert.equal(trustedValue(config, 'server.path', true), './evil2.sh');
  assert.equal(trustedValue(config, 'server.path', false), '/home/u/golens');
  delete state.settings.globalValue['golens.server.path'];
  assert.equal(trustedValue(config, 'server.path', false), '');
});

test('untrusted workspace: a server path or python from workspace settings is never used', () => {
  // Even by an editor that ignores restrictedConfigurations: the extension checks on its own.
  state.restricted.clear();
  state.isTrusted = false;
  state.settings.workspaceValue['golens.server.path'] = '/tmp/evil';
  state.settings.workspaceFolderValue['golens.server.python'] = '/tmp/evil-python';
  state.settings.workspaceValue['golens.logLevel'] = 'debug';
  const settings = readExtensionSettings();
  assert.equal(settings.serverPath, undefined);
  assert.equal(settings.serverPython, undefined);
  assert.equal(settings.trusted, false);
  state.isTrusted = true;
  const trusted = readExtensionSettings();
  assert.equal(trusted.serverPath, '/tmp/evil');
  assert.equal(trusted.serverPython, '/tmp/evil-python');
  assert.equal(trusted.logLevel, 'debug');
});

test('blank paths count as unset; an unknown log level falls back to info', () => {
  state.settings.globalValue['golens.server.path'] = '   ';
  state.settings.globalValue['golens.logLevel'] = 'chatty';
  const settings = readExtensionSettings();
  assert.equal(settings.serverPath, undefined);
  assert.equal(settings.logLevel, 'info');
});

test('server settings: the golens section without client-only keys, everything else passed through', () => {
  state.settings.globalValue['golens.disable'] = ['GL106', 'lost-cancel'];
  state.settings.globalValue['golens.severity'] = { GL202: 'error' };
  state.settings.workspaceValue['golens.diagnostics.debounceMs'] = 150;
  state.settings.workspaceValue['golens.trace.path'] = '${workspaceFolder}/trace.out';
  state.settings.globalValue['golens.server.path'] = '/usr/bin/golens';
  const sent = currentServerSettings();
  assert.deepEqual(sent.disable, ['GL106', 'lost-cancel']);
  assert.deepEqual(sent.severity, { GL202: 'error' });
  assert.deepEqual(sent.diagnostics, { debounceMs: 150, checkBudgetMs: 3000, scope: 'openFiles' });
  assert.equal((sent.trace as Record<string, unknown>).path, '${workspaceFolder}/trace.out');
  assert.equal((sent.trace as Record<string, unknown>).autoLoad, true);
  // Unset thresholds stay the server's; set ones go as the server spells them.
  assert.deepEqual((sent.trace as Record<string, unknown>).thresholds, {});
  assert.equal((sent.trace as Record<string, unknown>).inlayHints, true);
  assert.equal((sent.trace as Record<string, unknown>).codeLens, true);
  assert.equal(sent.trusted, true);
  assert.equal('server' in sent, false);
  assert.equal('lsp' in sent, false);
  // An unset max-file-size must not reach the server as null (it would override golens.toml).
  assert.equal('max-file-size' in sent, false);
  state.settings.globalValue['golens.max-file-size'] = 1024;
  state.settings.globalValue['golens.trace.thresholds.leak-min-fraction'] = 0.5;
  state.settings.globalValue['golens.trace.codeLens'] = false;
  const changed = currentServerSettings();
  assert.equal(changed['max-file-size'], 1024);
  assert.deepEqual((changed.trace as Record<string, unknown>).thresholds, { 'leak-min-fraction': 0.5 });
  assert.equal((changed.trace as Record<string, unknown>).codeLens, false);
});

test('server settings in an untrusted workspace: no trace loading, static checks still configured', () => {
  state.isTrusted = false;
  state.settings.globalValue['golens.trace.path'] = '/home/u/trace.out';
  state.settings.workspaceValue['golens.trace.autoLoad'] = true;
  state.settings.workspaceValue['golens.disable'] = ['GL106'];
  const sent = currentServerSettings();
  const trace = sent.trace as Record<string, unknown>;
  assert.equal(trace.path, '');
  assert.equal(trace.autoLoad, false);
  assert.equal(sent.trusted, false);
  // Rule settings are not restricted: they change what is reported, never what runs.
  assert.deepEqual(sent.disable, ['GL106']);
});

test('serverSettings nests dotted keys and does not modify its input', () => {
  const raw = { 'diagnostics.debounceMs': 5, trace: { path: 'x' }, server: { path: 'y' } };
  const copy = JSON.parse(JSON.stringify(raw));
  const sent = serverSettings(raw, true);
  assert.deepEqual(sent.diagnostics, { debounceMs: 5 });
  assert.deepEqual(raw, copy);
  assert.deepEqual(serverSettings(undefined, false), { trace: { autoLoad: false, path: '' }, trusted: false });
});

test('manifest: restricted settings match the code, every setting is described', () => {
  const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual([...restricted].sort(), RESTRICTED_KEYS.map((k) => `golens.${k}`).sort());
  for (const [key, schema] of Object.entries(contributed)) {
    const text = (schema.markdownDescription ?? schema.description) as string | undefined;
    assert.ok(text && text.length > 20, `${key} has no useful description`);
    assert.ok('default' in schema, `${key} has no default`);
  }
  for (const key of ['golens.disable', 'golens.enable', 'golens.severity', 'golens.max-file-size',
    'golens.diagnostics.debounceMs', 'golens.trace.path', 'golens.trace.autoLoad', 'golens.trace.inlayHints',
    'golens.trace.codeLens', 'golens.server.path', 'golens.server.python', 'golens.logLevel']) {
    assert.ok(key in contributed, `${key} is not contributed`);
  }
  assert.ok(Object.keys(contributed).some((k) => k.startsWith('golens.trace.thresholds.')));
});

test('manifest: activation on Go files and on workspaces with a trace', () => {
  assert.deepEqual(manifest.activationEvents.sort(), [
    'onLanguage:go', 'workspaceContains:**/*.trace', 'workspaceContains:**/trace.out',
  ].sort());
  assert.equal(manifest.main, './out/extension.js');
});
