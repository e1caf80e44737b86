// The slice of the `vscode` API the extension touches, backed by plain data that a test sets up:
// layered settings (default < user < workspace < folder), workspace trust, and a record of what
// the extension showed (notifications, output, commands).

export type Layer = 'defaultValue' | 'globalValue' | 'workspaceValue' | 'workspaceFolderValue';

export const state = {
  settings: {
    defaultValue: {} as Record<string, unknown>,
    globalValue: {} as Record<string, unknown>,
    workspaceValue: {} as Record<string, unknown>,
    workspaceFolderValue: {} as Record<string, unknown>,
  },
  isTrusted: true,
  /** Settings whose workspace values VS Code ignores in an untrusted workspace (the manifest's
   * restrictedConfigurations; a test may empty it to play an editor that does not honour it). */
  restricted: new Set<string>(),
  workspaceFolders: [] as Array<{ uri: Uri; name: string; index: number }>,
  messages: [] as Array<{ kind: 'error' | 'warning' | 'info'; message: string; items: string[] }>,
  /** What the next notification's button press is (undefined: dismissed). */
  nextChoice: undefined as string | undefined,
  output: [] as string[],
  outputShown: 0,
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as Array<{ command: string; args: unknown[] }>,
  extensions: new Map<string, unknown>(),
  configListeners: [] as Array<(e: { affectsConfiguration(section: string): boolean }) => void>,
  statusItems: [] as StatusBarItem[],
  /** What the file picker returns. */
  openDialogResult: undefined as Uri[] | undefined,
  openDialogShown: 0,
  progressShown: 0,
  remoteName: undefined as string | undefined,
  languageItems: [] as Array<{ id: string; text: string; detail: string | undefined }>,
  contentProviders: new Map<string, { provideTextDocumentContent(uri: Uri): string | Promise<string> }>(),
};

export function reset(): void {
  for (const layer of Object.keys(state.settings) as Layer[]) {
    state.settings[layer] = {};
  }
  state.isTrusted = true;
  state.restricted = new Set();
  state.workspaceFolders = [];
  state.messages = [];
  state.nextChoice = undefined;
  state.output = [];
  state.outputShown = 0;
  state.commands.clear();
  state.executed = [];
  state.extensions.clear();
  state.configListeners = [];
  state.statusItems = [];
  state.openDialogResult = undefined;
  state.openDialogShown = 0;
  state.progressShown = 0;
  state.remoteName = undefined;
  state.languageItems = [];
  state.contentProviders.clear();
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(p: string): Uri { return new Uri('file', p); }
  static parse(s: string): Uri { return new Uri(s.split(':')[0], s.replace(/^file:\/\//, '')); }
  static from(parts: { scheme: string; path: string }): Uri { return new Uri(parts.scheme, parts.path); }
  get path(): string { return this.fsPath; }
  toString(): string { return `${this.scheme}://${this.fsPath}`; }
}

function effective(key: string): unknown {
  const s = state.settings;
  if (state.isTrusted || !state.restricted.has(key)) {
    return s.workspaceFolderValue[key] ?? s.workspaceValue[key] ?? s.globalValue[key] ?? s.defaultValue[key];
  }
  return s.globalValue[key] ?? s.defaultValue[key];
}

function sectionObject(prefix: string): Record<string, unknown> | undefined {
  const keys = new Set<string>();
  for (const layer of Object.values(state.settings)) {
    for (const key of Object.keys(layer)) {
      if (key.startsWith(prefix + '.')) {
        keys.add(key);
      }
    }
  }
  if (keys.size === 0) {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const parts = key.slice(prefix.length + 1).split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = effective(key);
  }
  return out;
}

class Configuration {
  constructor(private readonly section: string | undefined) {}
  private full(key: string): string { return this.section ? `${this.section}.${key}` : key; }
  get<T>(key: string, fallback?: T): T | undefined {
    const name = this.full(key);
    const value = effective(name) ?? sectionObject(name);
    return (value ?? fallback) as T | undefined;
  }
  has(key: string): boolean { return this.get(key) !== undefined; }
  inspect<T>(key: string) {
    const name = this.full(key);
    const s = state.settings;
    return {
      key: name,
      defaultValue: s.defaultValue[name] as T | undefined,
      globalValue: s.globalValue[name] as T | undefined,
      workspaceValue: s.workspaceValue[name] as T | undefined,
      workspaceFolderValue: s.workspaceFolderValue[name] as T | undefined,
    };
  }
  update(): Promise<void> { return Promise.resolve(); }
}

export const workspace = {
  get isTrusted() { return state.isTrusted; },
  get workspaceFolders() { return state.workspaceFolders; },
  getConfiguration(section?: string) { return new Configuration(section); },
  onDidChangeConfiguration(listener: (e: { affectsConfiguration(section: string): boolean }) => void) {
    state.configListeners.push(listener);
    return { dispose() { /* nothing to release */ } };
  },
  onDidGrantWorkspaceTrust() { return { dispose() { /* nothing to release */ } }; },
  registerTextDocumentContentProvider(scheme: string, provider: { provideTextDocumentContent(uri: Uri): string | Promise<string> }) {
    state.contentProviders.set(scheme, provider);
    return { dispose() { state.contentProviders.delete(scheme); } };
  },
  openTextDocument(options: { content: string; language: string }) {
    return Promise.resolve({ uri: Uri.parse('untitled:Untitled-1'), ...options });
  },
};

export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }

export class ThemeColor { constructor(readonly id: string) {} }

export class StatusBarItem {
  text = '';
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(readonly id: string) {}
  show() { this.visible = true; }
  hide() { this.visible = false; }
  dispose() { this.visible = false; }
}

function notify(kind: 'error' | 'warning' | 'info') {
  return (message: string, ...items: string[]) => {
    state.messages.push({ kind, message, items });
    return Promise.resolve(items.includes(state.nextChoice as string) ? state.nextChoice : undefined);
  };
}

export const window = {
  showErrorMessage: notify('error'),
  showWarningMessage: notify('warning'),
  showInformationMessage: notify('info'),
  showOpenDialog: () => { state.openDialogShown++; return Promise.resolve(state.openDialogResult); },
  showTextDocument: () => Promise.resolve(undefined),
  onDidChangeActiveTextEditor() { return { dispose() { /* nothing to release */ } }; },
  withProgress<T>(_options: unknown, task: (progress: { report(value: unknown): void }) => Promise<T>): Promise<T> {
    state.progressShown++;
    return task({ report() { /* not shown */ } });
  },
  createOutputChannel(name: string) {
    return {
      name,
      append(value: string) { state.output.push(value); },
      appendLine(value: string) { state.output.push(value); },
      replace() { /* unused */ },
      clear() { state.output = []; },
      show() { state.outputShown++; },
      hide() { /* unused */ },
      dispose() { /* unused */ },
    };
  },
  createStatusBarItem(id: string) {
    const item = new StatusBarItem(id);
    state.statusItems.push(item);
    return item;
  },
};

export const env = {
  get remoteName() { return state.remoteName; },
};

export const commands = {
  registerCommand(command: string, fn: (...args: unknown[]) => unknown) {
    if (state.commands.has(command)) {
      throw new Error(`command '${command}' already exists`);
    }
    state.commands.set(command, fn);
    return { dispose() { state.commands.delete(command); } };
  },
  executeCommand(command: string, ...args: unknown[]) {
    state.executed.push({ command, args });
    const fn = state.commands.get(command);
    return Promise.resolve(fn ? fn(...args) : undefined);
  },
  getCommands() { return Promise.resolve([...state.commands.keys()]); },
};

// Enough of `languages` for the extension to register its code lens provider (reportPanel.ts).
export const languages = {
  createLanguageStatusItem(id: string) {
    const item = { id, name: '', text: '', detail: '' as string | undefined, command: undefined as unknown, dispose() { /* none */ } };
    state.languageItems.push(item);
    return item;
  },
  registerCodeLensProvider() { return { dispose() { /* none */ } }; },
  getDiagnostics() { return []; },
  onDidChangeDiagnostics() { return { dispose() { /* none */ } }; },
};

export const extensions = {
  getExtension(id: string) { return state.extensions.get(id); },
};

// Classes vscode-languageclient extends or instantiates when it is loaded.
export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...items: Array<{ dispose(): unknown }>) { return new Disposable(() => items.forEach((i) => i.dispose())); }
  dispose() { this.fn(); }
}
export class EventEmitter<T> {
  private listeners: Array<(e: T) => void> = [];
  event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  };
  fire(e: T) { this.listeners.forEach((l) => l(e)); }
  dispose() { this.listeners = []; }
}
export class CancellationError extends Error {}
export class CancellationTokenSource {
  token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() { /* none */ } }) };
  cancel() { this.token.isCancellationRequested = true; }
  dispose() { /* none */ }
}
export class MarkdownString { constructor(readonly value = '', readonly supportThemeIcons = false) {} }
export class CodeAction {}
export class Diagnostic {}
export class CallHierarchyItem {}
export class CodeLens {}
export class CompletionItem {}
export class DocumentLink {}
export class InlayHint {}
export class SymbolInformation {}
export class TypeHierarchyItem {}
export const version = '1.100.3';
