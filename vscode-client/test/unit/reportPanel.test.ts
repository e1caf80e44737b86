import './register';

import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { reportArgs, revealRequest, traceFindingLines, webviewHtml } from '../../src/reportPanel';

test('golens report runs with the server program, editor links and the workspace root', () => {
  assert.deepEqual(reportArgs(['/venv/bin/python', '-m', 'golens'], '/ws/trace.out', '/ws', '/tmp/r/report.html'),
    ['-m', 'golens', 'report', '/ws/trace.out', '--links', 'vscode', '-o', '/tmp/r/report.html', '--root', '/ws']);
  assert.deepEqual(reportArgs(['/usr/bin/golens'], '/t.trace', undefined, '/o.html'),
    ['report', '/t.trace', '--links', 'vscode', '-o', '/o.html']);
});

test('the webview gets a fresh nonce everywhere and a policy that allows nothing remote', () => {
  const page = '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; script-src &#x27;nonce-OLD&#x27;">' +
    '<style nonce="OLD">a{}</style><script type="application/json" id="golens-data">{}</script><script nonce="OLD">x()</script>';
  const html = webviewHtml(page, 'NEW');
  assert.ok(!html.includes('OLD'));
  assert.equal(html.split('nonce="NEW"').length - 1, 2);
  const csp = /content="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, /script-src 'nonce-NEW'/);
  assert.ok(!/unsafe|https?:|\*/.test(csp), csp);
});

test('only well-formed reveal messages with absolute paths open an editor', () => {
  assert.deepEqual(revealRequest({ type: 'reveal', path: '/ws/main.go', line: 33 }), { path: '/ws/main.go', line: 33 });
  assert.deepEqual(revealRequest({ type: 'reveal', path: '/ws/main.go', line: -4 }), { path: '/ws/main.go', line: 1 });
  assert.equal(revealRequest({ type: 'reveal', path: 'main.go', line: 3 }), undefined);
  assert.equal(revealRequest({ type: 'focus', path: '/ws/main.go', line: 3 }), undefined);
  assert.equal(revealRequest('reveal'), undefined);
  assert.equal(revealRequest(null), undefined);
});

test('a lens per line with a trace finding, none for static findings', () => {
  const at = (line: number, source: string) => ({ source, range: { start: { line } } });
  assert.deepEqual(traceFindingLines([at(43, 'golens-trace'), at(28, 'golens-trace'), at(28, 'golens-trace'),
    at(10, 'golens')]), [28, 43]);
});
