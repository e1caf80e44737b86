// The server shipped inside a platform-specific .vsix (scripts/bundle-server.sh): golens and its
// dependencies as wheels, installed on first start into a private venv in the extension's global
// storage, from those files alone (no network). No `vscode` import: unit-tested directly.
import { execFile } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import type { Candidate, Launch } from './serverResolve';

export interface BundleInputs {
  /** The extension's install directory (holds bundled/wheels/ in a platform build). */
  extensionDir: string;
  /** The extension's global storage: venvs live here, one per set of wheels. */
  storageDir: string;
  /** Interpreters to make the venv with, in order; the first that is CPython >= 3.11 is used. */
  pythons: string[];
  platform: NodeJS.Platform;
  launch: Launch;
  /** Runs a program; ok is false on a non-zero exit or a failure to start. */
  run?: (command: string, args: string[], launch: Launch) => Promise<{ ok: boolean; output: string }>;
}

export type Bundled = { candidate: Candidate; installed: boolean } | { error: string } | undefined;

export function wheelsDir(extensionDir: string): string {
  return path.join(extensionDir, 'bundled', 'wheels');
}

const defaultRun: NonNullable<BundleInputs['run']> = (command, args, launch) =>
  new Promise((resolve) => {
    execFile(command, args, { cwd: launch.cwd, env: launch.env, timeout: 300000, windowsHide: true, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout ?? ''}${stderr ?? ''}`.trim() || String(error ?? '') }));
  });

/** The venv for these wheels: a new set of wheels (an extension update) gets a new venv. */
export function venvDir(storageDir: string, wheels: string[]): string {
  const hash = crypto.createHash('sha256').update(wheels.slice().sort().join('\n')).digest('hex').slice(0, 12);
  return path.join(storageDir, `server-${hash}`);
}

export function venvPython(venv: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

/** The bundled server, installing it first if needed; undefined when this .vsix bundles none. */
export async function bundledServer(inputs: BundleInputs): Promise<Bundled> {
  const run = inputs.run ?? defaultRun;
  const dir = wheelsDir(inputs.extensionDir);
  let wheels: string[];
  try {
    wheels = fs.readdirSync(dir).filter((name) => name.endsWith('.whl'));
  } catch {
    return undefined;
  }
  if (!wheels.some((name) => name.startsWith('golens-'))) {
    return undefined;
  }
  const venv = venvDir(inputs.storageDir, wheels);
  const python = venvPython(venv, inputs.platform);
  // -P: the working directory never goes on sys.path (see Launch).
  const candidate: Candidate = { command: python, args: ['-P', '-m', 'golens'], source: 'bundled' };
  const stamp = path.join(venv, '.golens-complete');
  if (fs.existsSync(stamp)) {
    return { candidate, installed: false };
  }
  const problems: string[] = [];
  let base: string | undefined;
  for (const interpreter of inputs.pythons) {
    const probe = await run(interpreter, ['-c', 'import sys; print(sys.version_info >= (3, 11))'], inputs.launch);
    if (probe.ok && probe.output.trim() === 'True') {
      base = interpreter;
      break;
    }
    problems.push(`${interpreter}: ${probe.ok ? 'older than Python 3.11' : probe.output.split('\n').slice(-1)[0]}`);
  }
  if (base === undefined) {
    return { error: `no Python 3.11 or newer to install the bundled server with (${problems.join('; ') || 'none found'})` };
  }
  // An interrupted install is redone, not trusted.
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(inputs.storageDir, { recursive: true });
  const made = await run(base, ['-m', 'venv', venv], inputs.launch);
  if (!made.ok) {
    return { error: `${base} -m venv failed: ${made.output.split('\n').slice(-2).join(' ')}` };
  }
  const installed = await run(python, ['-m', 'pip', 'install', '--no-index', '--find-links', dir,
    '--disable-pip-version-check', '--no-input', '--quiet', 'golens'], inputs.launch);
  if (!installed.ok) {
    return { error: `installing the bundled wheels failed: ${installed.output.split('\n').slice(-3).join(' ')}` };
  }
  fs.writeFileSync(stamp, `${wheels.sort().join('\n')}\n`);
  return { candidate, installed: true };
}
