// Finding the golens language server: no `vscode` import here, so the order of candidates and
// the failure messages are unit-tested with plain inputs.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type CandidateSource =
  | 'golens.server.path'
  | 'PATH'
  | 'golens.server.python'
  | 'Python extension'
  | 'python3 on PATH'
  | 'bundled';

export interface Candidate {
  /** The program to run and the arguments before `serve` / `--version`. */
  command: string;
  args: string[];
  source: CandidateSource;
}

export interface ResolveInputs {
  serverPath?: string;
  serverPython?: string;
  /** The interpreter the Python extension selected for this workspace, if it is installed. */
  pythonExtensionInterpreter?: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  workspaceFolder?: string;
  isExecutable?: (file: string) => boolean;
  launch: Launch;
  /** The server in a platform .vsix, installed on demand; tried after PATH and
   * golens.server.python, before guessing an interpreter. */
  bundled?: () => PromiseLike<{ candidate: Candidate } | { error: string } | undefined>;
}

export interface Probe {
  (command: string, args: string[], launch: Launch): Promise<{ ok: boolean; output: string }>;
}

/** Where and how every golens process starts: the `--version` probe and the server alike, so the
 * program checked is the program run. */
export interface Launch {
  /** A directory of the extension's own (never the workspace): Python puts the working directory
   * on `sys.path` unless told otherwise, and a folder's `golens/` package would run instead. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The environment for a golens process: PYTHONSAFEPATH keeps the working directory off
 * `sys.path` in the server and in every Python child it spawns (Python 3.11+). */
export function launchEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PYTHONSAFEPATH: '1', PYTHONUNBUFFERED: '1' };
}

export interface Attempt {
  candidate: Candidate;
  error: string;
}

export type Resolution =
  | { ok: true; candidate: Candidate; version: string; attempts: Attempt[] }
  | { ok: false; attempts: Attempt[]; explicit: boolean; installCommand: string };

export function defaultIsExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `~` and `${workspaceFolder}` / `${userHome}` in a configured path. */
export function expandPath(value: string, workspaceFolder: string | undefined, env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  let out = value.trim();
  if (out === '~' || out.startsWith('~/')) {
    out = home + out.slice(1);
  }
  out = out.replace(/\$\{userHome\}/g, home);
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return out;
}

/** Where `name` is on PATH (with PATHEXT on Windows), like `which`. */
export function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  isExecutable: (file: string) => boolean = defaultIsExecutable,
): string | undefined {
  const pathValue = env.PATH ?? env.Path ?? '';
  const separator = platform === 'win32' ? ';' : ':';
  const extensions = platform === 'win32'
    ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')
    : [''];
  for (const dir of pathValue.split(separator)) {
    if (dir === '') {
      continue;
    }
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The candidates in the order they are tried. An explicit `golens.server.path` is the only one:
 * when a user names a program, silently running a different one would hide their mistake. */
export function serverCandidates(inputs: ResolveInputs): Candidate[] {
  const isExecutable = inputs.isExecutable ?? defaultIsExecutable;
  if (inputs.serverPath) {
    return [{
      command: expandPath(inputs.serverPath, inputs.workspaceFolder, inputs.env),
      args: [],
      source: 'golens.server.path',
    }];
  }
  const candidates: Candidate[] = [];
  const onPath = findOnPath('golens', inputs.env, inputs.platform, isExecutable);
  if (onPath) {
    candidates.push({ command: onPath, args: [], source: 'PATH' });
  }
  const pythons: Array<[string | undefined, CandidateSource]> = [
    [inputs.serverPython && expandPath(inputs.serverPython, inputs.workspaceFolder, inputs.env), 'golens.server.python'],
    [inputs.pythonExtensionInterpreter, 'Python extension'],
    [findOnPath(inputs.platform === 'win32' ? 'python' : 'python3', inputs.env, inputs.platform, isExecutable), 'python3 on PATH'],
  ];
  const seen = new Set<string>();
  for (const [python, source] of pythons) {
    if (source === 'Python extension' && inputs.bundled) {
      // A placeholder: resolveServer installs (or finds) the bundled server here.
      candidates.push({ command: '', args: [], source: 'bundled' });
    }
    if (python && !seen.has(python)) {
      seen.add(python);
      // -P: the current directory never goes on sys.path (belt and braces with PYTHONSAFEPATH,
      // which a user's environment could unset).
      candidates.push({ command: python, args: ['-P', '-m', 'golens'], source });
    }
  }
  return candidates;
}

export function installCommand(inputs: ResolveInputs): string {
  const python = inputs.serverPython ?? inputs.pythonExtensionInterpreter;
  const pip = python ? `${quote(python)} -m pip` : 'pip';
  return `${pip} install golens`;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, '\\$1')}"`;
}

export function describe(candidate: Candidate): string {
  if (candidate.command === '') {
    return `the ${candidate.source} server`;
  }
  return [candidate.command, ...candidate.args].map(quote).join(' ');
}

const VERSION_PATTERN = /golens\s+v?(\d+\.\d+[\w.+-]*)/;

/** Runs each candidate with `--version` and takes the first that answers like golens. */
export async function resolveServer(inputs: ResolveInputs, probe: Probe = defaultProbe): Promise<Resolution> {
  const attempts: Attempt[] = [];
  for (let candidate of serverCandidates(inputs)) {
    if (candidate.source === 'bundled') {
      const bundled = await inputs.bundled?.();
      if (bundled === undefined) {
        continue;
      }
      if ('error' in bundled) {
        attempts.push({ candidate, error: bundled.error });
        continue;
      }
      candidate = bundled.candidate;
    }
    const { ok, output } = await probe(candidate.command, [...candidate.args, '--version'], inputs.launch);
    const match = VERSION_PATTERN.exec(output);
    if (ok && match) {
      return { ok: true, candidate, version: match[1], attempts };
    }
    const detail = output.trim().split('\n').slice(-3).join(' | ') || 'no output';
    attempts.push({
      candidate,
      error: ok ? `answered --version without a golens version: ${detail}` : detail,
    });
  }
  return {
    ok: false,
    attempts,
    explicit: inputs.serverPath !== undefined,
    installCommand: installCommand(inputs),
  };
}

export function failureMessage(resolution: Extract<Resolution, { ok: false }>): string {
  if (resolution.explicit) {
    const attempt = resolution.attempts[0];
    return `golens: the server set in golens.server.path (${attempt ? describe(attempt.candidate) : '?'}) ` +
      `did not start: ${attempt?.error ?? 'unknown error'}. Fix the setting, or clear it to search PATH.`;
  }
  // A notification shows plain text: quotes, not Markdown backticks.
  return 'golens: the language server was not found. Set golens.server.path, or install it with: ' +
    `${resolution.installCommand} (from a checkout: pip install -e <path to golens>)`;
}

export const defaultProbe: Probe = (command, args, launch) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: 20000, windowsHide: true, cwd: launch.cwd, env: launch.env }, (error, stdout, stderr) => {
      const output = `${stdout ?? ''}${stderr ?? ''}`;
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? `${command}: not found`
          : code === 'EACCES' ? `${command}: not executable`
          : output.trim() || error.message;
        resolve({ ok: false, output: reason });
      } else {
        resolve({ ok: true, output });
      }
    });
  });
