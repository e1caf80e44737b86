import './register';

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  defaultProbe, expandPath, failureMessage, findOnPath, launchEnv, Probe, resolveServer, ResolveInputs, serverCandidates,
} from '../../src/serverResolve';

const env = { PATH: '/usr/local/bin:/usr/bin', HOME: '/home/u' };
const launch = { cwd: os.tmpdir(), env: launchEnv(process.env) };

function inputs(overrides: Partial<ResolveInputs>, executables: string[] = []): ResolveInputs {
  return {
    env, platform: 'linux', isExecutable: (f) => executables.includes(f), launch, ...overrides,
  };
}

/** A probe that answers from a table: command line -> [ok, output]. */
function fakeProbe(table: Record<string, [boolean, string]>, calls: string[] = []): Probe {
  return async (command, args) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const [ok, output] = table[line] ?? [false, `${command}: not found`];
    return { ok, output };
  };
}

test('an explicit golens.server.path is the only candidate, with ~ and ${workspaceFolder} expanded', () => {
  const c1 = serverCandidates(inputs({ serverPath: '~/bin/golens' }, ['/usr/bin/golens', '/usr/bin/python3']));
  assert.deepEqual(c1, [{ command: '/home/u/bin/golens', args: [], source: 'golens.server.path' }]);
  const c2 = serverCandidates(inputs({ serverPath: '${workspaceFolder}/.venv/bin/golens', workspaceFolder: '/ws' }));
  assert.equal(c2[0].command, '/ws/.venv/bin/golens');
});

test('without a path setting: golens on PATH, then golens.server.python, the Python extension, python3', () => {
  const candidates = serverCandidates(inputs(
    { serverPython: '/opt/py/bin/python', pythonExtensionInterpreter: '/ws/.venv/bin/python' },
    ['/usr/bin/golens', '/usr/bin/python3'],
  ));
  assert.deepEqual(candidates.map((c) => [c.source, c.command, c.args.join(' ')]), [
    ['PATH', '/usr/bin/golens', ''],
    ['golens.server.python', '/opt/py/bin/python', '-P -m golens'],
    ['Python extension', '/ws/.venv/bin/python', '-P -m golens'],
    ['python3 on PATH', '/usr/bin/python3', '-P -m golens'],
  ]);
});

test('the same interpreter is not tried twice', () => {
  const candidates = serverCandidates(inputs(
    { serverPython: '/usr/bin/python3', pythonExtensionInterpreter: '/usr/bin/python3' }, ['/usr/bin/python3']));
  assert.equal(candidates.length, 1);
  assert.equal(candidates[0].source, 'golens.server.python');
});

test('the first candidate that reports a golens version wins; failures are kept for the log', async () => {
  const calls: string[] = [];
  const resolution = await resolveServer(
    inputs({ serverPython: '/opt/py/bin/python' }, ['/usr/bin/golens', '/usr/bin/python3']),
    fakeProbe({
      '/usr/bin/golens --version': [true, 'something else 1.0\n'],
      '/opt/py/bin/python -P -m golens --version': [false, '/opt/py/bin/python: No module named golens'],
      '/usr/bin/python3 -P -m golens --version': [true, 'golens 0.3.1\n'],
    }, calls),
  );
  assert.ok(resolution.ok);
  assert.equal(resolution.candidate.command, '/usr/bin/python3');
  assert.equal(resolution.version, '0.3.1');
  assert.deepEqual(calls, [
    '/usr/bin/golens --version', '/opt/py/bin/python -P -m golens --version', '/usr/bin/python3 -P -m golens --version',
  ]);
  assert.match(resolution.attempts[0].error, /without a golens version/);
  assert.match(resolution.attempts[1].error, /No module named golens/);
});

test('a broken explicit path is reported as such, without falling back to another golens', async () => {
  const calls: string[] = [];
  const resolution = await resolveServer(
    inputs({ serverPath: '/nope/golens' }, ['/usr/bin/golens']),
    fakeProbe({ '/usr/bin/golens --version': [true, 'golens 0.1.0'] }, calls),
  );
  assert.equal(resolution.ok, false);
  assert.deepEqual(calls, ['/nope/golens --version']);
  if (!resolution.ok) {
    const message = failureMessage(resolution);
    assert.match(message, /golens\.server\.path/);
    assert.match(message, /\/nope\/golens: not found/);
  }
});

test('when nothing works the message gives the one-line install command for the chosen interpreter', async () => {
  const resolution = await resolveServer(
    inputs({ serverPython: '/opt/my py/bin/python' }), fakeProbe({}));
  assert.equal(resolution.ok, false);
  if (!resolution.ok) {
    assert.equal(resolution.installCommand, '"/opt/my py/bin/python" -m pip install golens');
    const message = failureMessage(resolution);
    assert.match(message, /not found/);
    assert.ok(message.includes('install it with: "/opt/my py/bin/python" -m pip install golens'), message);
    assert.ok(!message.includes('`'), 'a notification shows no Markdown: no backticks');
    assert.ok(message.includes('pip install -e'), message);
  }
  const bare = await resolveServer(inputs({}), fakeProbe({}));
  assert.ok(!bare.ok && bare.installCommand === 'pip install golens');
});

test('findOnPath looks at real files: executable bit, PATH order, directories skipped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-unit-'));
  try {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const c = path.join(dir, 'c');
    for (const d of [a, b, c]) {
      fs.mkdirSync(d);
    }
    fs.writeFileSync(path.join(a, 'golens'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
    fs.mkdirSync(path.join(b, 'golens')); // a directory
    fs.writeFileSync(path.join(c, 'golens'), '#!/bin/sh\n', { mode: 0o755 });
    const found = findOnPath('golens', { PATH: [a, '', b, c].join(':') }, 'linux');
    assert.equal(found, path.join(c, 'golens'));
    assert.equal(findOnPath('golens', { PATH: [a, b].join(':') }, 'linux'), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('findOnPath uses PATHEXT and ; on Windows', () => {
  const seen: string[] = [];
  const found = findOnPath('golens', { Path: 'C:\\py\\Scripts;D:\\tools', PATHEXT: '.EXE;.CMD' }, 'win32', (f) => {
    seen.push(f);
    return f.endsWith('tools/golens.CMD') || f.endsWith('tools\\golens.CMD');
  });
  assert.ok(found && /golens\.CMD$/.test(found));
  assert.equal(seen.length, 4);
});

test('expandPath leaves other text alone', () => {
  assert.equal(expandPath(' /a/${workspaceFolder}/b ', undefined, env), '/a/${workspaceFolder}/b');
  assert.equal(expandPath('${userHome}/x', '/ws', env), '/home/u/x');
  assert.equal(expandPath('a~b', '/ws', env), 'a~b');
});

test('the default probe runs the program: a fake golens script resolves, a missing one does not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-unit-'));
  try {
    const script = path.join(dir, 'golens');
    fs.writeFileSync(script, '#!/bin/sh\n[ "$1" = --version ] && echo "golens 9.8.7" && exit 0\nexit 2\n', { mode: 0o755 });
    const ok = await resolveServer({ serverPath: script, env: process.env, platform: 'linux', launch }, defaultProbe);
    assert.ok(ok.ok && ok.version === '9.8.7');
    const missing = await resolveServer({ serverPath: path.join(dir, 'nope'), env: process.env, platform: 'linux', launch }, defaultProbe);
    assert.ok(!missing.ok);
    assert.match(missing.attempts[0].error, /not found/);
    const failing = path.join(dir, 'broken');
    fs.writeFileSync(failing, '#!/bin/sh\necho "Traceback: ImportError: tree_sitter" >&2\nexit 1\n', { mode: 0o755 });
    const broken = await resolveServer({ serverPath: failing, env: process.env, platform: 'linux', launch }, defaultProbe);
    assert.ok(!broken.ok);
    assert.match(broken.attempts[0].error, /ImportError: tree_sitter/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the probe runs where the launch says, and Python never imports a golens/ from that directory', async () => {
  // A folder as an attacker would leave it: its own golens package, whose import writes a marker.
  const hostile = fs.mkdtempSync(path.join(os.tmpdir(), 'golens-hostile-'));
  try {
    const marker = path.join(hostile, 'ran');
    fs.mkdirSync(path.join(hostile, 'golens'));
    const payload = `open(${JSON.stringify(marker)}, "w").write("x")\nprint("golens 6.6.6")\n`;
    fs.writeFileSync(path.join(hostile, 'golens', '__init__.py'), payload);
    fs.writeFileSync(path.join(hostile, 'golens', '__main__.py'), payload);
    const python = findOnPath('python3', process.env, 'linux');
    assert.ok(python, 'python3 on PATH');
    const where = path.join(hostile, 'pwd');
    fs.writeFileSync(where, `#!/bin/sh\npwd >${JSON.stringify(marker + '.cwd')}\necho "golens 1.2.3"\n`, { mode: 0o755 });
    await resolveServer({ serverPath: where, env: process.env, platform: 'linux', launch: { cwd: hostile, env: launchEnv(process.env) } });
    assert.equal(fs.readFileSync(marker + '.cwd', 'utf8').trim(), fs.realpathSync(hostile));
    // Even started in that very directory (the worst case), `python -P -m golens` does not run it.
    const resolution = await resolveServer({
      serverPython: python, env: { PATH: '' }, platform: 'linux', launch: { cwd: hostile, env: { PATH: process.env.PATH } },
    });
    assert.ok(!resolution.ok || resolution.version !== '6.6.6');
    assert.ok(!fs.existsSync(marker), 'the folder\'s golens package ran');
  } finally {
    fs.rmSync(hostile, { recursive: true, force: true });
  }
});
