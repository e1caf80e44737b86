import './register';

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';

import * as vscode from 'vscode';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { State } from 'vscode-languageclient/node';

import {
  COMMANDS, Golens, openServerSettings, PROFILE_STATUS_NOTIFICATION, RULE_PAGE_SCHEME, SERVER_COMMANDS, TRACE_STATUS_NOTIFICATION, withRulePageLink, withRulePageLinks,
} from '../../src/extension';
import { reset, state, StatusBarItem } from './vscode-stub';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

/** Stands in for LanguageClient: records requests, answers executeCommand from `replies`. */
class FakeClient {
  state = State.Stopped;
  initializeResult: { capabilities: { executeCommandProvider?: { commands: string[] } } } = { capabilities: {} };
  requests: Array<{ command: string; arguments?: unknown[] }> = [];
  handlers = new Map<string, (params: unknown) => void>();
  replies: Record<string, unknown> = {};
  stopped = 0;
  constructor(readonly serverOptions: ServerOptions, readonly clientOptions: LanguageClientOptions) {}
  async start() { this.state = State.Running; }
  async stop() { this.state = State.Stopped; this.stopped++; }
  dispose() { /* nothing held */ }
  onDidChangeState() { return { dispose() { /* none */ } }; }
  onNotification(method: string, handler: (params: unknown) => void) {
    this.handlers.set(method, handler);
    return { dispose() { /* none */ } };
  }
  async sendRequest(_type: unknown, params: { command: string; arguments?: unknown[] }) {
    this.requests.push(params);
    return this.replies[params.command];
  }
}

let dir: string;
let clients: FakeClient[];
let golens: Golens;
let context: { subscriptions: Array<{ dispose(): unknown }> };

function fakeServer(): string {
  const script = path.join(dir, 'golens');
  fs.writeFileSync(script, '#!/bin/sh\necho "golens 0.1.0"\n', { mode: 0o755 });
  return script;
}

function start(options: { commands?: string[] } = {}): Promise<void> {
  golens = new Golens(vscode.window.createOutputChannel('golens'), path.join(dir, 'server'), (serverOptions, clientOptions) => {
    const client = new FakeClient(serverOptions, clientOptions);
    if (options.commands) {
      client.initializeResult = { capabilities: { executeCommandProvider: { commands: options.commands } } };
    }
    clients.push(client);
    return client as never;
  });
  golens.register(context as never);
  return golens.start();
}

function status(): StatusBarItem {
  return state.statusItems[state.statusItems.length - 1];
}

const settle = () => new Promise((r) => setTimeout(r, 10));

beforeEach(() => {
  reset();
  state.restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-unit-'));
  clients = [];
  context = { subscriptions: [] };
});

afterEach(() => {
  for (const d of context.subscriptions) {
    d.dispose();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('no server: an error notification with the install command and a button that opens the output', async () => {
  state.settings.globalValue['golens.server.path'] = path.join(dir, 'missing-golens');
  state.nextChoice = 'Show Output';
  await start();
  await settle();
  assert.equal(clients.length, 0, 'no client is started without a server');
  const error = state.messages.find((m) => m.kind === 'error');
  assert.ok(error, 'an error notification');
  assert.match(error.message, /golens\.server\.path/);
  assert.match(error.message, /not found/);
  assert.ok(error.items.includes('Show Output'));
  assert.equal(state.outputShown, 1, 'the button opened the output channel');
  assert.match(status().text, /server not running/);
  assert.equal(status().command, COMMANDS.showOutput);
  assert.ok(state.output.some((l) => /golens\.server\.path/.test(l)), 'the reason is in the output too');
});

test('nothing on PATH and no setting: the message says how to install golens', async () => {
  const saved = process.env.PATH;
  process.env.PATH = dir; // an empty directory: no golens, no python3
  try {
    await start();
  } finally {
    process.env.PATH = saved;
  }
  const error = state.messages.find((m) => m.kind === 'error');
  assert.ok(error && error.message.includes('install it with: pip install golens'), error?.message);
  assert.ok(!error.message.includes('`'), 'a notification shows no Markdown: no backticks');
  assert.ok(error.items.includes('Show Output') && error.items.includes('Open Settings'));
});

test('"Open Settings" filters to golens.server, on the Remote tab in a remote window', async () => {
  await openServerSettings();
  assert.deepEqual(state.executed.at(-1), { command: 'workbench.action.openSettings', args: ['golens.server'] });
  state.remoteName = 'ssh-remote';
  await openServerSettings();
  // openRemoteSettings drops a bare string argument: the query must be an object.
  assert.deepEqual(state.executed.at(-1), {
    command: 'workbench.action.openRemoteSettings', args: [{ query: 'golens.server' }] });
});

test('the client gets the server command, Go documents, the golens section and settings sync', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  state.settings.globalValue['golens.disable'] = ['GL106'];
  await start();
  const [client] = clients;
  const run = (client.serverOptions as { run: { command: string; args: string[] } }).run;
  assert.equal(run.command, path.join(dir, 'golens'));
  assert.deepEqual(run.args, ['serve']);
  // Never the workspace folder: Python would import a folder's own golens/ from there.
  const options = (client.serverOptions as { run: { options: { cwd: string; env: NodeJS.ProcessEnv } } }).run.options;
  assert.equal(options.cwd, path.join(dir, 'server'));
  assert.equal(options.env.PYTHONSAFEPATH, '1');
  assert.deepEqual(client.clientOptions.documentSelector, [
    { scheme: 'file', language: 'go' }, { scheme: 'untitled', language: 'go' }]);
  assert.equal(client.clientOptions.synchronize?.configurationSection, 'golens');
  const init = (client.clientOptions.initializationOptions as () => Record<string, unknown>)();
  assert.deepEqual(init.disable, ['GL106']);
  assert.equal('server' in init, false);
  assert.equal(status().text, '$(pulse) golens: no trace');
  assert.equal(status().command, COMMANDS.showTraceSummary);
});

test('workspace/configuration answers are the sanitised golens section; other sections pass through', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  state.settings.globalValue['golens.severity'] = { GL201: 'error' };
  await start();
  const middleware = clients[0].clientOptions.middleware!.workspace!;
  const next = async () => [{ raw: true, server: { path: 'leaks' } }, { tabSize: 4 }];
  const answer = await middleware.configuration!(
    { items: [{ section: 'golens' }, { section: 'editor' }] }, {} as never, next as never) as unknown[];
  assert.deepEqual((answer[0] as Record<string, unknown>).severity, { GL201: 'error' });
  assert.equal('server' in (answer[0] as object), false);
  assert.deepEqual(answer[1], { tabSize: 4 });
});

test('a settings change becomes one empty didChangeConfiguration (the server then pulls)', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start();
  const middleware = clients[0].clientOptions.middleware!.workspace!;
  const sent: unknown[] = [];
  const next = async (sections: string[] | undefined) => { sent.push(sections); };
  // Our synchronize section and the server's own registration both fire on one change.
  await middleware.didChangeConfiguration!(['golens'], next);
  await middleware.didChangeConfiguration!(['golens'], next);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(sent, [undefined]);
});

test('changing golens.server.* restarts the server; other golens settings do not', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start();
  const fire = (section: string) => state.configListeners.forEach((l) => l({
    affectsConfiguration: (s: string) => section === s || section.startsWith(`${s}.`),
  }));
  fire('golens.disable');
  await settle();
  assert.equal(clients.length, 1);
  fire('golens.server.path');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(clients.length, 2);
  assert.equal(clients[0].stopped, 1);
});

test('trace commands against a server without them: a clear warning, nothing sent', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: [] });
  await vscode.commands.executeCommand(COMMANDS.loadTrace);
  assert.equal(state.openDialogShown, 0, 'no file picker for a server that cannot load the file');
  await vscode.commands.executeCommand(COMMANDS.showTraceSummary);
  assert.equal(clients[0].requests.length, 0);
  const warnings = state.messages.filter((m) => m.kind === 'warning');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0].message, /^golens: Load Trace needs a newer golens server \(this one, 0\.1\.0, lacks golens\.loadTrace\)/);
  assert.match(warnings[1].message, /^golens: Show Trace Summary needs a newer .* lacks golens\.showTraceSummary/);
  assert.match(warnings[1].message, /pip install -U golens/);
});

test('load, summary and clear go to the server; the status bar follows its answers and notifications', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  const client = clients[0];
  client.replies[SERVER_COMMANDS.loadTrace] = {
    loaded: true, path: '/ws/h/go1.27.trace', capturedAt: new Date().toISOString(), goroutines: 18, leaks: 3,
  };
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file('/ws/h/go1.27.trace'));
  assert.deepEqual(client.requests[0], { command: 'golens.loadTrace', arguments: ['/ws/h/go1.27.trace'] });
  assert.equal(status().text, '$(pulse) go1.27.trace · just now · 18 goroutines · 3 leaked');
  assert.equal(state.messages.at(-1)?.message, 'golens: loaded trace /ws/h/go1.27.trace');
  assert.equal(state.progressShown, 1, 'reading the trace shows progress until the server answers');

  // From the file picker; a cancelled picker sends nothing.
  await vscode.commands.executeCommand(COMMANDS.loadTrace);
  assert.equal(client.requests.length, 1);
  state.openDialogResult = [vscode.Uri.file('/ws/picked.trace')];
  await vscode.commands.executeCommand(COMMANDS.loadTrace);
  assert.equal(state.openDialogShown, 2);
  assert.deepEqual(client.requests[1], { command: 'golens.loadTrace', arguments: ['/ws/picked.trace'] });

  client.replies[SERVER_COMMANDS.showTraceSummary] = '# Trace summary\n\n3 leaked goroutines';
  await vscode.commands.executeCommand(status().command as string);
  const preview = state.executed.find((e) => e.command === 'markdown.showPreview');
  assert.ok(preview, 'the summary opens in the Markdown preview');
  const uri = preview.args[0] as vscode.Uri;
  assert.equal(uri.scheme, 'golens-trace');
  assert.equal(state.contentProviders.get('golens-trace')!.provideTextDocumentContent(uri),
    '# Trace summary\n\n3 leaked goroutines');

  client.handlers.get(TRACE_STATUS_NOTIFICATION)!({ loaded: true, path: '/ws/new.trace', goroutines: 2, leaks: 0 });
  assert.equal(status().text, '$(pulse) new.trace · 2 goroutines · 0 leaked');

  // The server's profiles share the item; a later trace notification keeps them.
  client.handlers.get(PROFILE_STATUS_NOTIFICATION)!({ loaded: true, leaks: 0, baseline: '/ws/before.pprof',
    profiles: [{ path: '/ws/mutex.pprof', kind: 'mutex', findings: 1 }] });
  assert.equal(status().text, '$(pulse) new.trace · 2 goroutines · 0 leaked · 1 profile (mutex) · vs before.pprof');
  assert.match(status().tooltip as string, /golens mutex profile: \/ws\/mutex\.pprof \(1 finding\)/);
  client.handlers.get(TRACE_STATUS_NOTIFICATION)!({ loaded: true, path: '/ws/new.trace', goroutines: 3, leaks: 0 });
  assert.equal(status().text, '$(pulse) new.trace · 3 goroutines · 0 leaked · 1 profile (mutex) · vs before.pprof');
  client.handlers.get(PROFILE_STATUS_NOTIFICATION)!({ loaded: false, profiles: [], leaks: 0 });
  assert.equal(status().text, '$(pulse) new.trace · 3 goroutines · 0 leaked');

  client.replies[SERVER_COMMANDS.clearTrace] = null;
  await vscode.commands.executeCommand(COMMANDS.clearTrace);
  assert.equal(status().text, '$(pulse) golens: no trace');
});

test('Restricted Mode: static checks run, trace loading is refused with the reason', async () => {
  state.isTrusted = false;
  state.settings.globalValue['golens.server.path'] = fakeServer();
  state.settings.workspaceValue['golens.server.path'] = '/tmp/evil';
  await start({ commands: Object.values(SERVER_COMMANDS) });
  assert.equal((clients[0].serverOptions as { run: { command: string } }).run.command, path.join(dir, 'golens'));
  assert.match(status().text, /static only/);
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file('/ws/trace.out'));
  assert.equal(clients[0].requests.length, 0);
  assert.match(state.messages.find((m) => m.kind === 'warning')!.message, /Restricted Mode/);
  const init = (clients[0].clientOptions.initializationOptions as () => Record<string, unknown>)();
  assert.deepEqual(init.trace && (init.trace as Record<string, unknown>).autoLoad, false);
});

test('a trace the server cannot read: its error alone, and the status keeps the trace in force', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  const client = clients[0];
  client.handlers.get(TRACE_STATUS_NOTIFICATION)!({ loaded: true, path: '/ws/good.trace', goroutines: 2, leaks: 0 });
  client.replies[SERVER_COMMANDS.loadTrace] = {
    loaded: false, error: '/ws/notes.out is not a readable Go execution trace: bad header' };
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file('/ws/notes.out'));
  assert.deepEqual(state.messages.map((m) => [m.kind, m.message]), [
    ['error', 'golens: /ws/notes.out is not a readable Go execution trace: bad header']]);
  assert.equal(status().text, '$(pulse) good.trace · 2 goroutines · 0 leaked');
});

test('a restart keeps the user\'s trace choice: loaded stays loaded, cleared stays cleared', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  const traceSettings = () => {
    const init = (clients.at(-1)!.clientOptions.initializationOptions as () => Record<string, unknown>)();
    return init.trace as Record<string, unknown>;
  };
  assert.equal(traceSettings().path, undefined);
  clients[0].replies[SERVER_COMMANDS.loadTrace] = { loaded: true, path: '/ws/mine.trace', goroutines: 1, leaks: 0 };
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file('/ws/mine.trace'));
  await vscode.commands.executeCommand(COMMANDS.restartServer);
  assert.equal(clients.length, 2);
  assert.equal(traceSettings().path, '/ws/mine.trace');
  clients[1].replies[SERVER_COMMANDS.clearTrace] = { loaded: false };
  await vscode.commands.executeCommand(COMMANDS.clearTrace);
  await vscode.commands.executeCommand(COMMANDS.restartServer);
  assert.deepEqual([traceSettings().path, traceSettings().autoLoad], ['', false]);
  // The requested stop's "exited with code 0" is not logged as an error.
  assert.ok(!state.output.some((l) => /^\[Error/.test(l)), state.output.join('\n'));
  // Changing the trace settings is the user's newer choice.
  for (const listener of state.configListeners) {
    listener({ affectsConfiguration: (section: string) => section === 'golens.trace.path' || 'golens.trace'.startsWith(section) });
  }
  await vscode.commands.executeCommand(COMMANDS.restartServer);
  assert.equal(traceSettings().autoLoad, undefined);
});

test('Restricted Mode: Clear Trace and Show Trace Summary are refused and hidden from the palette', async () => {
  state.isTrusted = false;
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  await vscode.commands.executeCommand(COMMANDS.clearTrace);
  await vscode.commands.executeCommand(COMMANDS.showTraceSummary);
  assert.equal(clients[0].requests.length, 0);
  assert.equal(state.messages.filter((m) => /Restricted Mode/.test(m.message)).length, 2);
  const palette: Array<{ command: string; when?: string }> = manifest.contributes.menus.commandPalette;
  for (const command of [COMMANDS.loadTrace, COMMANDS.clearTrace, COMMANDS.showTraceSummary]) {
    assert.equal(palette.find((m) => m.command === command)?.when, 'isWorkspaceTrusted', command);
  }
});

test('rule-code links open the rendered page the server gives, not the Markdown file in site-packages', async () => {
  const file = vscode.Uri.file('/venv/lib/python3.11/site-packages/golens/rules/GL201-lost-cancel.md');
  const linked = withRulePageLink({ code: { value: 'GL201', target: file } } as never) as unknown as {
    code: { value: string; target: vscode.Uri } };
  assert.equal(linked.code.value, 'GL201');
  assert.equal(linked.code.target.scheme, RULE_PAGE_SCHEME);
  assert.equal(linked.code.target.path, '/GL201.md');
  assert.equal(withRulePageLinks('[GL201 documentation](file:///venv/site-packages/golens/rules/GL201-lost-cancel.md) '
    + '[other](file:///docs/x.md)'), '[GL201 documentation](command:golens.rule.show?%5B%22GL201%22%5D) [other](file:///docs/x.md)');
  const elsewhere = vscode.Uri.file('/docs/rules.md');
  const untouched = withRulePageLink({ code: { value: 'X', target: elsewhere } } as never) as unknown as {
    code: { target: vscode.Uri } };
  assert.equal(untouched.code.target, elsewhere);

  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  clients[0].replies[SERVER_COMMANDS.explainRule] = '# GL201 `lost-cancel`: The cancel function of a derived context is lost';
  assert.ok(state.contentProviders.has(RULE_PAGE_SCHEME), [...state.contentProviders.keys()].join(','));
  const page = await state.contentProviders.get(RULE_PAGE_SCHEME)!.provideTextDocumentContent(linked.code.target as never);
  assert.deepEqual(clients[0].requests.at(-1), { command: 'golens.explainRule', arguments: ['GL201'] });
  assert.match(page, /^# GL201 `lost-cancel`/);
});

test('every contributed command is registered, and none collides with a server command', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start();
  const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  const ours: string[] = Object.values(COMMANDS);
  assert.deepEqual(contributed, [...ours].sort());
  for (const command of contributed) {
    assert.ok(state.commands.has(command), `${command} is not registered`);
  }
  for (const serverCommand of Object.values(SERVER_COMMANDS)) {
    assert.ok(!contributed.includes(serverCommand), `${serverCommand} would clash with the language client`);
  }
});

test('python -m golens with the Python extension\'s interpreter when golens is not on PATH', async () => {
  const python = path.join(dir, 'venv-python');
  fs.writeFileSync(python, '#!/bin/sh\n[ "$1 $2 $3 $4" = "-P -m golens --version" ] && echo "golens 0.2.0" && exit 0\nexit 1\n',
    { mode: 0o755 });
  let asked = 0;
  state.extensions.set('ms-python.python', {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: () => { asked++; return { path: python }; },
        resolveEnvironment: async () => ({ executable: { uri: vscode.Uri.file(python) } }),
      },
    },
  });
  const saved = process.env.PATH;
  process.env.PATH = path.join(dir, 'empty');
  try {
    await start();
    const run = (clients[0].serverOptions as { run: { command: string; args: string[] } }).run;
    assert.equal(run.command, python);
    assert.deepEqual(run.args, ['-P', '-m', 'golens', 'serve']);
    assert.equal(asked, 1);

    // Untrusted: the interpreter may come from workspace settings, so it is not asked.
    context.subscriptions.forEach((d) => d.dispose());
    context.subscriptions = [];
    state.isTrusted = false;
    await start();
    assert.equal(asked, 1);
    assert.equal(clients.length, 1, 'no server without a trusted way to find one');
    assert.match(state.messages.find((m) => m.kind === 'error')!.message, /pip install golens/);
  } finally {
    process.env.PATH = saved;
  }
});

test('a server that answers load with just the path: the status shows the file and its age', async () => {
  state.settings.globalValue['golens.server.path'] = fakeServer();
  await start({ commands: Object.values(SERVER_COMMANDS) });
  const trace = path.join(dir, 'trace.out');
  fs.writeFileSync(trace, 'go 1.27 trace\0');
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60 * 1000 - 5000);
  fs.utimesSync(trace, fiveMinutesAgo, fiveMinutesAgo);
  clients[0].replies[SERVER_COMMANDS.loadTrace] = trace;
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file(trace));
  assert.equal(status().text, '$(pulse) trace.out · 5m ago');
  assert.equal(state.messages.at(-1)?.message, `golens: loaded trace ${trace}`);
  // A message from the server is shown as it is.
  clients[0].replies[SERVER_COMMANDS.loadTrace] = { message: 'parsing trace.out (14 kB)' };
  await vscode.commands.executeCommand(COMMANDS.loadTrace, vscode.Uri.file(trace));
  assert.equal(state.messages.at(-1)?.message, 'golens: parsing trace.out (14 kB)');
});
