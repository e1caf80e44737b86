// golens: Show Trace Report — the HTML report of `golens report` in a webview beside the code.
//
// The report is the very file the CLI writes (the same numbers as in a browser); the panel only
// tightens its content security policy to the webview's and turns the page's "reveal" messages
// (a click on a frame or a finding) into an editor showing that line. A code lens "Show in
// report" sits on every line with a trace finding (GT…) and opens the panel at that row.
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

import type { Launch } from './serverResolve';

export const SHOW_REPORT_COMMAND = 'golens.trace.showReport';
const TRACE_SOURCE = 'golens-trace';

export interface ReportSources {
  /** The golens program the language server runs (command and leading arguments), if resolved. */
  serverCommand(): string[] | undefined;
  /** Where and how golens processes start (never in the workspace: see serverResolve.Launch). */
  launch(): Launch | undefined;
  /** The trace the server has loaded, if any. */
  tracePath(): string | undefined;
  log(message: string): void;
}

/** A place in the workspace: an absolute file path and a 1-based line. */
export interface Place { path: string; line: number }

/** The arguments of `golens report` for a trace, a workspace root and an output file. */
export function reportArgs(serverCommand: string[], tracePath: string, root: string | undefined, output: string): string[] {
  const args = [...serverCommand.slice(1), 'report', tracePath, '--links', 'vscode', '-o', output];
  if (root) {
    args.push('--root', root);
  }
  return args;
}

/** The report's HTML with a fresh nonce and the webview's CSP: nothing remote, only its own
 * inline style and script (the page already needs nothing else). */
export function webviewHtml(html: string, nonce: string): string {
  const old = /<meta http-equiv="Content-Security-Policy" content="[^"]*">/.exec(html);
  const oldNonce = /nonce="([^"]+)"/.exec(html)?.[1];
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:;`;
  let out = old ? html.replace(old[0], `<meta http-equiv="Content-Security-Policy" content="${csp}">`) : html;
  if (oldNonce) {
    out = out.split(`nonce="${oldNonce}"`).join(`nonce="${nonce}"`);
  }
  return out;
}

/** A webview message asking to reveal a line, or undefined for anything else. */
export function revealRequest(message: unknown): Place | undefined {
  if (message === null || typeof message !== 'object') {
    return undefined;
  }
  const m = message as Record<string, unknown>;
  if (m.type !== 'reveal' || typeof m.path !== 'string' || !path.isAbsolute(m.path)) {
    return undefined;
  }
  const line = typeof m.line === 'number' && Number.isInteger(m.line) && m.line >= 1 ? m.line : 1;
  return { path: m.path, line };
}

/** The 0-based lines of a document's trace findings (one lens per line). */
export function traceFindingLines(diagnostics: readonly { source?: string; range: { start: { line: number } } }[]): number[] {
  const lines = new Set<number>();
  for (const d of diagnostics) {
    if (d.source === TRACE_SOURCE) {
      lines.add(d.range.start.line);
    }
  }
  return [...lines].sort((a, b) => a - b);
}

function run(command: string, args: string[], launch: Launch): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: launch.cwd, env: launch.env, timeout: 300_000, maxBuffer: 4 << 20 },
      (error, _stdout, stderr) => {
        if (error) {
          reject(new Error(String(stderr).trim() || error.message));
        } else {
          resolve();
        }
      });
  });
}

export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensChanged = new vscode.EventEmitter<void>();

  constructor(private readonly sources: ReportSources) {}

  register(context: vscode.ExtensionContext): void {
    context.subscriptions.push(
      this,
      vscode.commands.registerCommand(SHOW_REPORT_COMMAND, (place?: Place) => this.show(place)),
      vscode.languages.registerCodeLensProvider({ scheme: 'file', language: 'go' }, {
        onDidChangeCodeLenses: this.lensChanged.event,
        provideCodeLenses: (document) => traceFindingLines(vscode.languages.getDiagnostics(document.uri)).map((line) =>
          new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
            title: 'Show in report',
            command: SHOW_REPORT_COMMAND,
            arguments: [{ path: document.uri.fsPath, line: line + 1 }],
          })),
      }),
      vscode.languages.onDidChangeDiagnostics(() => this.lensChanged.fire()),
    );
  }

  async show(place?: Place): Promise<void> {
    const command = this.sources.serverCommand();
    const launch = this.sources.launch();
    const trace = this.sources.tracePath();
    if (!command || !launch || !trace) {
      void vscode.window.showWarningMessage(command
        ? 'golens: no trace is loaded (golens: Load Trace…).'
        : 'golens: the golens program was not found; see the golens output.');
      return;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-report-'));
    const output = path.join(dir, 'report.html');
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'golens: drawing the trace report' },
        () => run(command[0], reportArgs(command, trace, root, output), launch));
      const html = fs.readFileSync(output, 'utf8');
      this.open(webviewHtml(html, randomBytes(18).toString('base64url')), path.basename(trace));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.sources.log(`trace report failed: ${message}`);
      void vscode.window.showErrorMessage(`golens: the trace report failed: ${message}`);
      return;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (place) {
      void this.panel?.webview.postMessage({ type: 'focus', path: place.path, line: place.line });
    }
  }

  private open(html: string, title: string): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('golens.traceReport', `Trace report: ${title}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, localResourceRoots: [], retainContextWhenHidden: true });
      this.panel.onDidDispose(() => { this.panel = undefined; }, null, this.disposables);
      this.panel.webview.onDidReceiveMessage((message) => this.reveal(revealRequest(message)), null, this.disposables);
    } else {
      this.panel.title = `Trace report: ${title}`;
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.panel.webview.html = html;
  }

  private async reveal(place: Place | undefined): Promise<void> {
    if (!place) {
      return;
    }
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(place.path));
    const position = new vscode.Position(Math.max(0, place.line - 1), 0);
    await vscode.window.showTextDocument(document, {
      viewColumn: vscode.ViewColumn.One,
      selection: new vscode.Range(position, position),
    });
  }

  dispose(): void {
    this.panel?.dispose();
    this.lensChanged.dispose();
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }
}
