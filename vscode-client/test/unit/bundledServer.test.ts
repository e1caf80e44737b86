import './register';

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { bundledServer, venvDir } from '../../src/bundledServer';

const launch = { cwd: os.tmpdir(), env: {} };

function extensionWith(wheels: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-ext-'));
  fs.mkdirSync(path.join(dir, 'bundled', 'wheels'), { recursive: true });
  for (const w of wheels) {
    fs.writeFileSync(path.join(dir, 'bundled', 'wheels', w), '');
  }
  return dir;
}

test('no bundled wheels (the generic .vsix): no bundled server, nothing run', async () => {
  const calls: string[] = [];
  const got = await bundledServer({
    extensionDir: fs.mkdtempSync(path.join(os.tmpdir(), 'golens-ext-')), storageDir: os.tmpdir(), pythons: ['python3'],
    platform: 'linux', launch, run: async (c, a) => { calls.push([c, ...a].join(' ')); return { ok: true, output: '' }; },
  });
  assert.equal(got, undefined);
  assert.deepEqual(calls, []);
});

test('first start: venv from the first Python 3.11+, offline install from the wheels; then reused', async () => {
  const wheels = ['golens-0.1.0-py3-none-any.whl', 'pygls-2.1.1-py3-none-any.whl'];
  const ext = extensionWith(wheels);
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-storage-'));
  const calls: string[] = [];
  const run = async (command: string, args: string[]) => {
    calls.push([command, ...args].join(' '));
    if (args[0] === '-c') {
      return { ok: true, output: command === '/old/python3' ? 'False' : 'True' };
    }
    if (args[1] === 'venv') {
      fs.mkdirSync(path.join(args[2], 'bin'), { recursive: true });
    }
    return { ok: true, output: '' };
  };
  const inputs = { extensionDir: ext, storageDir: storage, pythons: ['/old/python3', '/new/python3'], platform: 'linux' as const, launch, run };
  const first = await bundledServer(inputs);
  const venv = venvDir(storage, wheels);
  assert.ok(first && 'candidate' in first && first.installed);
  assert.deepEqual(first.candidate, { command: path.join(venv, 'bin', 'python'), args: ['-P', '-m', 'golens'], source: 'bundled' });
  assert.deepEqual(calls.slice(1), [
    '/new/python3 -c import sys; print(sys.version_info >= (3, 11))',
    `/new/python3 -m venv ${venv}`,
    `${path.join(venv, 'bin', 'python')} -m pip install --no-index --find-links ${path.join(ext, 'bundled', 'wheels')} `
      + '--disable-pip-version-check --no-input --quiet golens',
  ]);
  calls.length = 0;
  const again = await bundledServer(inputs);
  assert.ok(again && 'candidate' in again && !again.installed);
  assert.deepEqual(calls, [], 'an installed venv is used as it is');
  // New wheels (an extension update): a new venv.
  assert.notEqual(venvDir(storage, [...wheels, 'tree_sitter-0.26.1-cp312-cp312-x.whl']), venv);
});

test('no Python 3.11+: a clear error naming what was tried', async () => {
  const got = await bundledServer({
    extensionDir: extensionWith(['golens-0.1.0-py3-none-any.whl']), storageDir: os.tmpdir(),
    pythons: ['/usr/bin/python3'], platform: 'linux', launch,
    run: async () => ({ ok: true, output: 'False' }),
  });
  assert.ok(got && 'error' in got);
  assert.match(got.error, /no Python 3\.11 or newer .*\/usr\/bin\/python3: older than Python 3\.11/);
});
