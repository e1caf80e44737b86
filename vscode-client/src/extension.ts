import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { LevelFilter, Logger } from './logChannel';
import { bundledServer } from './bundledServer';
import { CandidateSource, describe, failureMessage, findOnPath, Launch, launchEnv, resolveServer } from './serverResolve';
import { currentServerSettings, readExtensionSettings, SECTION } from './settings';
import { ReportPanel, SHOW_REPORT_COMMAND } from './reportPanel';
import {
  parseProfileStatus, parseTraceStatus, ProfileStatus, statusText, summaryMarkdown, TraceStatus,
} from './traceStatus';

/** `workspace/executeCommand` names the server implements (or will). */
export const SERVER_COMMANDS = {
  loadTrace: 'golens.loadTrace',
  clearTrace: 'golens.clearTrace',
  showTraceSummary: 'golens.showTraceSummary',
  explainRule: 'golens.explainRule',
} as const;
export const TRACE_STATUS_NOTIFICATION = 'golens/traceStatus';
export const PROFILE_STATUS_NOTIFICATION = 'golens/profileStatus';

const COMMAND_TITLES: Record<string, string> = {
  [SERVER_COMMANDS.loadTrace]: 'Load Trace',
  [SERVER_COMMANDS.clearTrace]: 'Clear Trace',
  [SERVER_COMMANDS.showTraceSummary]: 'Show Trace Summary',
};

// The extension's own command ids differ from the server's: the language client registers every
// server command as a VS Code command of the same name, and two registrations of one id fail.
export const COMMANDS = {
  loadTrace: 'golens.trace.load',
  clearTrace: 'golens.trace.clear',
  showTraceSummary: 'golens.trace.showSummary',
  showTraceReport: SHOW_REPORT_COMMAND,
  restartServer: 'golens.server.restart',
  showOutput: 'golens.output.show',
  showRule: 'golens.rule.show',
} as const;

const OPEN_OUTPUT = 'Show Output';
const OPEN_SETTINGS = 'Open Settings';

type ServerState = 'starting' | 'running' | 'failed' | 'stopped';

/** The part of LanguageClient used here (the unit tests pass a fake one). */
export type Client = Pick<LanguageClient,
  'start' | 'stop' | 'dispose' | 'state' | 'onDidChangeState' | 'onNotification' | 'sendRequest' | 'initializeResult'>;
export type ClientFactory = (serverOptions: ServerOptions, clientOptions: LanguageClientOptions) => Client;

const languageClient: ClientFactory = (serverOptions, clientOptions) =>
  new LanguageClient('golens.lsp', 'golens', serverOptions, clientOptions);

export class Golens implements vscode.Disposable {
  private client: Client | undefined;
  private state: ServerState = 'stopped';
  private trace: TraceStatus | undefined;
  private profiles: ProfileStatus | undefined;
  private serverVersion = '';
  private readonly statusItem: vscode.StatusBarItem;
  private readonly serverItem: vscode.LanguageStatusItem;
  private readonly logger: Logger;
  private readonly clientChannel: vscode.OutputChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private starting: Promise<void> | undefined;
  private configPush: ReturnType<typeof setTimeout> | undefined;
  private readonly summary = new SummaryDocument();
  private golensCommand: string[] | undefined;
  private golensLaunch: Launch | undefined;
  private readonly report = new ReportPanel({
    serverCommand: () => this.golensCommand,
    launch: () => this.golensLaunch,
    tracePath: () => (this.trace?.loaded ? this.trace.path : undefined),
    log: (message) => this.logger.error(message),
  });
  /** The user's last explicit trace action, kept across server restarts: a cleared trace stays
   * cleared and a loaded one stays loaded (the server gets it as its trace settings). Dropped
   * when the golens.trace settings change, which are the user's newer choice. */
  private traceChoice: TraceChoice | undefined;
  /** A stop we asked for: its exit code 0 is not an error. */
  private stopRequested = false;

  /** `serverDir`: the extension's own directory every golens process starts in (see Launch). */
  /** `extensionDir`: where a platform build keeps bundled/wheels (see bundledServer). */
  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly serverDir: string,
    private readonly createClient: ClientFactory = languageClient,
    private readonly extensionDir?: string,
  ) {
    const level = () => readExtensionSettings().logLevel;
    this.logger = new Logger(output, level);
    const filter = new LevelFilter(output, level, (line) => this.rewriteClientLine(line));
    // The language client writes through this: same channel, filtered by golens.logLevel.
    this.clientChannel = {
      name: output.name,
      append: (value: string) => filter.append(value),
      appendLine: (value: string) => filter.appendLine(value),
      replace: (value: string) => output.replace(value),
      clear: () => output.clear(),
      show: (preserveFocus?: unknown) => output.show(preserveFocus === true),
      hide: () => output.hide(),
      dispose: () => undefined,
    } as vscode.OutputChannel;
    this.statusItem = vscode.window.createStatusBarItem('golens.status', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = 'golens';
    this.disposables.push(this.statusItem);
    // Which server runs and where it came from, next to the Go language indicator.
    this.serverItem = vscode.languages.createLanguageStatusItem('golens.server', { language: 'go' });
    this.serverItem.name = 'golens server';
    this.serverItem.text = 'golens: starting';
    this.serverItem.command = { title: 'Show Output', command: COMMANDS.showOutput };
    this.disposables.push(this.serverItem);
    // The age in the status text ("5m ago") goes stale without a tick.
    const tick = setInterval(() => this.renderStatus(), 30_000);
    this.disposables.push({ dispose: () => clearInterval(tick) });
    this.renderStatus();
    this.statusItem.show();
  }

  /** The language client logs every server exit as an error, also the one a restart asks for. */
  private rewriteClientLine(line: string): string {
    if (this.stopRequested && /^\[Error\s*-[^\]]*\] Server process exited with code 0\.?$/.test(line)) {
      return line.replace(/^\[Error\s*-/, '[Info  -').replace(/Server process exited with code 0\.?$/,
        'the server stopped as requested');
    }
    return line;
  }

  // -- server lifecycle ---------------------------------------------------------------------------

  start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.doStart().finally(() => { this.starting = undefined; });
    }
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.state = 'starting';
    this.renderStatus();
    const settings = readExtensionSettings();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const pythonExtensionInterpreter = settings.trusted ? await pythonExtensionPython() : undefined;
    fs.mkdirSync(this.serverDir, { recursive: true });
    const launch: Launch = { cwd: this.serverDir, env: launchEnv(process.env) };
    const resolution = await resolveServer({
      serverPath: settings.serverPath,
      serverPython: settings.serverPython,
      pythonExtensionInterpreter,
      env: process.env,
      platform: process.platform,
      workspaceFolder: folder,
      launch,
      bundled: this.extensionDir === undefined ? undefined : () => vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'golens: setting up the bundled server' },
        () => bundledServer({
          extensionDir: this.extensionDir!,
          storageDir: this.serverDir,
          pythons: [settings.serverPython, pythonExtensionInterpreter,
            findOnPath(process.platform === 'win32' ? 'python' : 'python3', process.env, process.platform)]
            .filter((p): p is string => typeof p === 'string' && p !== ''),
          platform: process.platform,
          launch,
        }).then((bundled) => {
          if (bundled && 'installed' in bundled && bundled.installed) {
            this.logger.info(`installed the bundled server into ${path.dirname(path.dirname(bundled.candidate.command))}`);
          }
          return bundled;
        })),
    });
    for (const attempt of resolution.attempts) {
      this.logger.info(`server candidate ${describe(attempt.candidate)} (${attempt.candidate.source}): ${attempt.error}`);
    }
    if (!resolution.ok) {
      this.serverItem.text = 'golens: no server';
      this.serverItem.detail = 'see the golens output';
      this.state = 'failed';
      this.renderStatus();
      const message = failureMessage(resolution);
      this.logger.error(message);
      void vscode.window.showErrorMessage(message, OPEN_OUTPUT, OPEN_SETTINGS).then((choice) => {
        if (choice === OPEN_OUTPUT) {
          this.output.show(true);
        } else if (choice === OPEN_SETTINGS) {
          void openServerSettings();
        }
      });
      return;
    }
    const { candidate, version } = resolution;
    this.serverVersion = version;
    this.serverItem.text = `golens ${version}`;
    this.serverItem.detail = SOURCE_LABELS[candidate.source];
    this.golensCommand = [candidate.command, ...candidate.args];
    this.golensLaunch = launch;
    this.logger.info(`starting golens ${version}: ${describe(candidate)} serve (found via ${candidate.source})` +
      (settings.trusted ? '' : '; untrusted workspace: static checks only'));

    const executable = {
      command: candidate.command,
      args: [...candidate.args, 'serve'],
      transport: TransportKind.stdio,
      options: { cwd: launch.cwd, env: launch.env },
    };
    const serverOptions: ServerOptions = { run: executable, debug: executable };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'go' },
        { scheme: 'untitled', language: 'go' },
      ],
      outputChannel: this.clientChannel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => withTraceChoice(currentServerSettings(), this.traceChoice),
      synchronize: { configurationSection: SECTION },
      middleware: {
        // Rule codes link to the rule's Markdown file in site-packages, which VS Code would open
        // as an editable file: point them at the rendered, read-only page instead.
        handleDiagnostics: (uri, diagnostics, next) => next(uri, diagnostics.map(withRulePageLink)),
        provideHover: async (document, position, token, next) => {
          const hover = await next(document, position, token);
          if (hover) {
            hover.contents = hover.contents.map((part) => {
              if (!(part instanceof vscode.MarkdownString)) {
                return part;
              }
              const markdown = new vscode.MarkdownString(withRulePageLinks(part.value), part.supportThemeIcons);
              // Only our own command may run from the hover's links.
              markdown.isTrusted = { enabledCommands: [COMMANDS.showRule] };
              return markdown;
            });
          }
          return hover;
        },
        provideDiagnostics: async (document, previousResultId, token, next) => {
          const report = await next(document, previousResultId, token);
          if (report && report.kind === 'full') {
            report.items = report.items.map(withRulePageLink);
          }
          return report;
        },
        workspace: {
          // The server pulls `golens` through here, so trust rules and client-only keys are
          // applied in one place, whatever scope it asks for.
          configuration: async (params, token, next) => {
            const fromClient = await next(params, token);
            if (!Array.isArray(fromClient)) {
              return fromClient;
            }
            return params.items.map((item, i) => item.section === SECTION
              ? withTraceChoice(currentServerSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined),
                this.traceChoice)
              : fromClient[i]);
          },
          // Pushing the raw section would skip the rules above: send an empty notification,
          // which makes the server pull. Both our own and the server's registration fire on one
          // change; one notification is enough.
          didChangeConfiguration: (_sections, next) => {
            if (this.configPush === undefined) {
              this.configPush = setTimeout(() => {
                this.configPush = undefined;
                next(undefined).catch((error) => this.logger.error(`settings update failed: ${error}`));
              }, 50);
            }
            return Promise.resolve();
          },
        },
      },
      initializationFailedHandler: (error) => {
        this.logger.error(`the server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
    };

    const client = this.createClient(serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((event) => {
      if (client !== this.client) {
        return;
      }
      if (event.newState === State.Running) {
        this.state = 'running';
      } else if (event.newState === State.Stopped) {
        this.state = this.state === 'stopped' ? 'stopped' : 'failed';
      }
      this.renderStatus();
    });
    try {
      await client.start();
    } catch (error) {
      this.state = 'failed';
      this.renderStatus();
      const message = `golens: the language server (${describe(candidate)} serve) did not start: ` +
        `${error instanceof Error ? error.message : String(error)}`;
      this.logger.error(message);
      void vscode.window.showErrorMessage(message, OPEN_OUTPUT).then((choice) => {
        if (choice === OPEN_OUTPUT) {
          this.output.show(true);
        }
      });
      return;
    }
    client.onNotification(TRACE_STATUS_NOTIFICATION, (params: unknown) => {
      this.trace = parseTraceStatus(params);
      this.renderStatus();
    });
    client.onNotification(PROFILE_STATUS_NOTIFICATION, (params: unknown) => {
      this.profiles = parseProfileStatus(params);
      this.renderStatus();
    });
    this.state = 'running';
    this.logCapabilities(client);
    this.renderStatus();
  }

  private logCapabilities(client: Client): void {
    const caps = client.initializeResult?.capabilities;
    if (!caps) {
      return;
    }
    const features = Object.keys(caps).filter((k) => k.endsWith('Provider') && (caps as Record<string, unknown>)[k]);
    const commands = caps.executeCommandProvider?.commands ?? [];
    this.logger.info(`golens ${this.serverVersion} running; features: ${features.join(', ') || 'none'}` +
      (commands.length ? `; commands: ${commands.join(', ')}` : ''));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.state = 'stopped';
    this.stopRequested = true;
    try {
      if (client && client.state !== State.Stopped) {
        try {
          await client.stop(5000);
        } catch (error) {
          this.logger.warn(`stopping the server: ${error}`);
        }
      }
      client?.dispose();
    } finally {
      this.stopRequested = false;
    }
    this.renderStatus();
  }

  async restart(reason: string): Promise<void> {
    this.logger.info(`restarting the server: ${reason}`);
    await this.starting;
    await this.stop();
    this.trace = undefined;
    this.profiles = undefined;
    await this.start();
  }

  // -- server commands ----------------------------------------------------------------------------

  /** The running client if it implements `command`; otherwise says clearly why not. */
  private async clientFor(command: string): Promise<Client | undefined> {
    await this.starting;
    const client = this.client;
    if (!client || this.state !== 'running') {
      const choice = await vscode.window.showErrorMessage(
        'golens: the language server is not running, see the golens output for why.', OPEN_OUTPUT);
      if (choice === OPEN_OUTPUT) {
        this.output.show(true);
      }
      return undefined;
    }
    if (!serverSupports(client, command)) {
      const what = COMMAND_TITLES[command] ?? command;
      void vscode.window.showWarningMessage(
        `golens: ${what} needs a newer golens server (this one, ${this.serverVersion}, lacks ${command}). ` +
        'Update it: pip install -U golens');
      return undefined;
    }
    return client;
  }

  /** Runs a server command, or says clearly why it cannot run. Undefined when it did not run. */
  async serverCommand(command: string, args: unknown[] = []): Promise<{ result: unknown } | undefined> {
    const client = await this.clientFor(command);
    if (!client) {
      return undefined;
    }
    try {
      return { result: await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) };
    } catch (error) {
      const message = `golens: ${command} failed: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.error(message);
      void vscode.window.showErrorMessage(message, OPEN_OUTPUT).then((choice) => {
        if (choice === OPEN_OUTPUT) {
          this.output.show(true);
        }
      });
      return undefined;
    }
  }

  private refuseUntrusted(what: string): boolean {
    if (vscode.workspace.isTrusted) {
      return false;
    }
    void vscode.window.showWarningMessage(
      `golens: ${what} is off in Restricted Mode; only static checks run until you trust this workspace.`,
      'Manage Workspace Trust').then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand('workbench.trust.manage');
      }
    });
    return true;
  }

  async loadTrace(uri?: vscode.Uri): Promise<void> {
    if (this.refuseUntrusted('loading a trace')) {
      return;
    }
    // Before the file picker: no point choosing a file the server cannot load.
    if (!await this.clientFor(SERVER_COMMANDS.loadTrace)) {
      return;
    }
    let target = uri instanceof vscode.Uri ? uri : undefined;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'golens: load a Go execution trace',
        openLabel: 'Load Trace',
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        filters: { 'Go execution traces': ['out', 'trace'], 'All files': ['*'] },
      });
      target = picked?.[0];
    }
    if (!target) {
      return;
    }
    const done = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `golens: reading ${path.basename(target.fsPath)}` },
      () => this.serverCommand(SERVER_COMMANDS.loadTrace, [target!.fsPath]));
    if (!done) {
      return;
    }
    // The server answers once the trace is read: its status, or the error alone (the trace in
    // force, if any, stays).
    const failure = resultError(done.result);
    if (failure !== undefined) {
      void vscode.window.showErrorMessage(`golens: ${failure}`);
      return;
    }
    this.traceChoice = { loaded: target.fsPath };
    // A status from the server wins (a notification may have come before the answer); without
    // one, the file itself gives the name and the age.
    this.trace = parseTraceStatus(done.result)
      ?? (this.trace?.path === target.fsPath ? this.trace : fileTraceStatus(target.fsPath));
    this.renderStatus();
    const said = resultMessage(done.result);
    void vscode.window.showInformationMessage(`golens: ${said ?? `loaded trace ${target.fsPath}`}`);
  }

  async clearTrace(): Promise<void> {
    if (this.refuseUntrusted('trace evidence')) {
      return;
    }
    const done = await this.serverCommand(SERVER_COMMANDS.clearTrace);
    if (done) {
      this.traceChoice = { cleared: true };
      this.trace = parseTraceStatus(done.result) ?? { loaded: false };
      this.renderStatus();
    }
  }

  async showTraceSummary(): Promise<void> {
    if (this.refuseUntrusted('trace evidence')) {
      return;
    }
    if (this.state !== 'running') {
      this.output.show(true);
      return;
    }
    const done = await this.serverCommand(SERVER_COMMANDS.showTraceSummary);
    if (!done) {
      return;
    }
    const status = parseTraceStatus(done.result);
    if (status) {
      this.trace = status;
      this.renderStatus();
    }
    const markdown = summaryMarkdown(done.result);
    if (markdown === undefined) {
      void vscode.window.showInformationMessage('golens: no trace is loaded (use "golens: Load Trace…").');
      return;
    }
    // A read-only virtual document: an untitled one would be left dirty, asking to be saved.
    this.summary.set(markdown);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', SummaryDocument.uri);
    } catch {
      // Without the built-in Markdown extension the source is still readable.
      await vscode.window.showTextDocument(SummaryDocument.uri, { preview: true });
    }
  }

  // -- status bar ---------------------------------------------------------------------------------

  private renderStatus(): void {
    const item = this.statusItem;
    item.backgroundColor = undefined;
    switch (this.state) {
      case 'failed':
        item.text = '$(error) golens: server not running';
        item.tooltip = 'golens: the language server is not running. Click for the output.';
        item.command = COMMANDS.showOutput;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
      case 'starting':
        item.text = '$(sync~spin) golens';
        item.tooltip = 'golens: starting the language server';
        item.command = COMMANDS.showOutput;
        return;
      case 'stopped':
        item.text = '$(circle-slash) golens: stopped';
        item.tooltip = 'golens: the language server is stopped. Run "golens: Restart Server".';
        item.command = COMMANDS.restartServer;
        return;
    }
    if (!vscode.workspace.isTrusted) {
      item.text = '$(shield) golens: static only';
      item.tooltip = 'golens: Restricted Mode: static checks only, no trace loading. Trust the workspace for trace evidence.';
      item.command = COMMANDS.showOutput;
      return;
    }
    const shown = statusText(this.trace, new Date(), this.profiles);
    item.text = shown.text;
    item.tooltip = shown.tooltip;
    item.command = COMMANDS.showTraceSummary;
    if (shown.warning) {
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
  }

  // -- wiring -------------------------------------------------------------------------------------

  /** A rule's page, rendered (asks which rule when run from the palette). */
  async showRule(rule?: string): Promise<void> {
    const key = typeof rule === 'string' && rule !== '' ? rule : await vscode.window.showInputBox({
      title: 'golens: rule documentation', prompt: 'A rule id (GL201) or slug (lost-cancel)' });
    if (!key) {
      return;
    }
    const uri = vscode.Uri.from({ scheme: RULE_PAGE_SCHEME, path: `/${key}.md` });
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(uri, { preview: true });
    }
  }

  /** A rule's page from the server (`golens explain`), for the read-only rule documents. */
  async rulePage(uri: vscode.Uri): Promise<string> {
    const rule = ruleOfPageUri(uri);
    const done = rule ? await this.serverCommand(SERVER_COMMANDS.explainRule, [rule]) : undefined;
    return typeof done?.result === 'string' ? done.result : `# ${rule ?? uri.path}\n\nNo page: the server did not answer.`;
  }

  register(context: vscode.ExtensionContext): void {
    this.report.register(context);
    context.subscriptions.push(
      this,
      this.summary,
      vscode.workspace.registerTextDocumentContentProvider(SummaryDocument.scheme, this.summary),
      vscode.workspace.registerTextDocumentContentProvider(RULE_PAGE_SCHEME, {
        provideTextDocumentContent: (uri) => this.rulePage(uri),
      }),
      // The page opens as read-only Markdown source; show it rendered.
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor?.document.uri.scheme === RULE_PAGE_SCHEME) {
          void vscode.commands.executeCommand('markdown.showPreview', editor.document.uri);
        }
      }),
      vscode.commands.registerCommand(COMMANDS.loadTrace, (uri?: vscode.Uri) => this.loadTrace(uri)),
      vscode.commands.registerCommand(COMMANDS.clearTrace, () => this.clearTrace()),
      vscode.commands.registerCommand(COMMANDS.showTraceSummary, () => this.showTraceSummary()),
      vscode.commands.registerCommand(COMMANDS.restartServer, () => this.restart('requested')),
      vscode.commands.registerCommand(COMMANDS.showOutput, () => this.output.show(true)),
      vscode.commands.registerCommand(COMMANDS.showRule, (rule?: string) => this.showRule(rule)),
      vscode.workspace.onDidChangeConfiguration((event) => {
        // Everything else reaches the running server as a settings change; these pick the
        // program itself.
        if (event.affectsConfiguration('golens.server')) {
          void this.restart('golens.server settings changed');
        }
        if (event.affectsConfiguration('golens.trace.path') || event.affectsConfiguration('golens.trace.autoLoad')) {
          this.traceChoice = undefined;
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.restart('workspace trusted: trace evidence enabled');
      }),
    );
  }

  dispose(): void {
    if (this.configPush !== undefined) {
      clearTimeout(this.configPush);
    }
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

export const RULE_PAGE_SCHEME = 'golens-rule';
const RULE_FILE = /\/rules\/(G[LT]\d{3})[^/]*\.md$/;

/** `golens-rule:/GL201.md` for a link to a rule's Markdown file, else undefined. */
export function rulePageUri(target: vscode.Uri): vscode.Uri | undefined {
  const match = target.scheme === 'file' ? RULE_FILE.exec(target.path) : null;
  return match ? vscode.Uri.from({ scheme: RULE_PAGE_SCHEME, path: `/${match[1]}.md` }) : undefined;
}

/** Markdown with its links to rule files pointing at the rendered pages. */
export function withRulePageLinks(markdown: string): string {
  // A command link: VS Code's Markdown renders links of unknown schemes as plain text.
  return markdown.replace(/\]\((file:\/\/[^)\s]*\/rules\/(G[LT]\d{3})[^)\s/]*\.md)\)/g,
    (_all, _file, rule: string) => `](command:${COMMANDS.showRule}?${encodeURIComponent(JSON.stringify([rule]))})`);
}

export function ruleOfPageUri(uri: vscode.Uri): string | undefined {
  return /^\/([A-Za-z0-9-]+)\.md$/.exec(uri.path)?.[1];
}

/** The diagnostic with its rule-code link pointing at the rendered page. */
export function withRulePageLink(diagnostic: vscode.Diagnostic): vscode.Diagnostic {
  const code = diagnostic.code;
  if (code && typeof code === 'object' && code.target) {
    const page = rulePageUri(code.target);
    if (page) {
      diagnostic.code = { value: code.value, target: page };
    }
  }
  return diagnostic;
}

/** The settings editor filtered to golens.server.*. In a remote window the User tab does not list
 * machine-overridable settings (the filter came up empty): open the Remote tab there. */
export function openServerSettings(): Thenable<unknown> {
  const query = 'golens.server';
  return vscode.env.remoteName
    ? vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query })
    : vscode.commands.executeCommand('workbench.action.openSettings', query);
}

/** Where the running server came from, for the language status item. */
export const SOURCE_LABELS: Record<CandidateSource, string> = {
  'golens.server.path': 'from golens.server.path',
  PATH: 'golens on PATH',
  'golens.server.python': 'python -m golens (golens.server.python)',
  'Python extension': "python -m golens (the Python extension's interpreter)",
  'python3 on PATH': 'python -m golens (python3 on PATH)',
  bundled: 'bundled with the extension',
};

/** A user's explicit trace action: a path loaded by hand, or the trace cleared. */
export type TraceChoice = { loaded: string } | { cleared: true };

/** The server's trace settings with the user's choice on top (see Golens.traceChoice). */
export function withTraceChoice(settings: Record<string, unknown>, choice: TraceChoice | undefined): Record<string, unknown> {
  if (choice === undefined || settings.trusted === false) {
    return settings;
  }
  const trace = { ...(settings.trace as Record<string, unknown> | undefined) };
  if ('loaded' in choice) {
    trace.path = choice.loaded;
  } else {
    trace.path = '';
    trace.autoLoad = false;
  }
  return { ...settings, trace };
}

/** The error a command answered with instead of a result (`{loaded: false, error}`). */
function resultError(result: unknown): string | undefined {
  const value = result as { loaded?: unknown; error?: unknown } | null;
  return value && typeof value === 'object' && value.loaded === false && typeof value.error === 'string'
    ? value.error : undefined;
}

/** A one-line message the server put in a command result, if any (a bare path is no message). */
function resultMessage(result: unknown): string | undefined {
  if (typeof result === 'string') {
    return path.isAbsolute(result) ? undefined : result.split('\n')[0];
  }
  const message = (result as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** The trace summary as a read-only Markdown document; the preview follows its updates. */
class SummaryDocument implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly scheme = 'golens-trace';
  static readonly uri = vscode.Uri.parse(`${SummaryDocument.scheme}:/Trace Summary.md`);
  private text = '';
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(markdown: string): void {
    this.text = markdown;
    this.changed.fire(SummaryDocument.uri);
  }

  provideTextDocumentContent(): string {
    return this.text;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function fileTraceStatus(file: string): TraceStatus {
  try {
    return { loaded: true, path: file, at: fs.statSync(file).mtime };
  } catch {
    return { loaded: true, path: file };
  }
}

function serverSupports(client: Client, command: string): boolean {
  const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  return commands.includes(command);
}

/** The interpreter the Python extension picked for this workspace, when it is installed. */
async function pythonExtensionPython(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const api: any = extension.isActive ? extension.exports : await extension.activate();
    const scope = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api?.environments?.getActiveEnvironmentPath?.(scope);
    if (active?.path) {
      const resolved = await api.environments.resolveEnvironment?.(active);
      return resolved?.executable?.uri?.fsPath ?? active.path;
    }
    const command = api?.settings?.getExecutionDetails?.(scope)?.execCommand;
    return Array.isArray(command) && typeof command[0] === 'string' ? command[0] : undefined;
  } catch {
    return undefined;
  }
}

let golens: Golens | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('golens');
  context.subscriptions.push(output);
  golens = new Golens(output, context.globalStorageUri.fsPath, undefined, context.extensionPath);
  golens.register(context);
  await golens.start();
}

export async function deactivate(): Promise<void> {
  await golens?.stop();
  golens = undefined;
}
