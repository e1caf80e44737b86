import './register';

import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatAge, parseTraceStatus, statusText, summaryMarkdown } from '../../src/traceStatus';

const now = new Date('2026-03-01T12:00:00Z');

test('a loaded trace: file name, age, goroutines and leaks', () => {
  const status = parseTraceStatus({
    loaded: true, path: '/ws/handler_leak/go1.27.trace', capturedAt: '2026-03-01T11:55:00Z', goroutines: 42, leaks: 3,
  });
  const shown = statusText(status, now);
  assert.equal(shown.text, '$(pulse) go1.27.trace · 5m ago · 42 goroutines · 3 leaked');
  assert.ok(shown.warning, 'leaks make the item stand out');
  assert.match(shown.tooltip, /\/ws\/handler_leak\/go1\.27\.trace/);
  assert.match(shown.tooltip, /2026-03-01T11:55:00\.000Z/);
});

test('server spellings: leaked as a list, epoch seconds or ms, trace instead of path, a nested status', () => {
  const a = parseTraceStatus({ trace: 'C:\\t\\trace.out', leaked: [{}, {}], goroutineCount: 1, loadedAt: 1772366100 });
  assert.deepEqual(a && statusText(a, now).text, '$(pulse) trace.out · 5m ago · 1 goroutine · 2 leaked');
  const b = parseTraceStatus({ markdown: '# x', status: { loaded: true, path: '/t.trace', capturedAt: 1772366100000 } });
  assert.equal(b?.at?.toISOString(), '2026-03-01T11:55:00.000Z');
  assert.equal(statusText(parseTraceStatus({ loaded: true, path: '/t.trace', stale: true }), now).text,
    '$(pulse) t.trace (stale)');
});

test('no trace, an error, and things that are not a status at all', () => {
  assert.equal(statusText(undefined, now).text, '$(pulse) golens: no trace');
  assert.equal(statusText(parseTraceStatus({ loaded: false }), now).text, '$(pulse) golens: no trace');
  const failed = statusText(parseTraceStatus({ loaded: false, error: 'not a Go trace' }), now);
  assert.match(failed.tooltip, /not a Go trace/);
  assert.ok(failed.warning);
  for (const value of [null, undefined, 'loaded', 3, [], {}, { markdown: '# summary' }]) {
    assert.equal(parseTraceStatus(value), undefined, JSON.stringify(value));
  }
  // Nonsense counts are dropped, not shown.
  const odd = parseTraceStatus({ loaded: true, path: '/x.trace', goroutines: -1, leaks: 'many', capturedAt: 'never' });
  assert.equal(statusText(odd, now).text, '$(pulse) x.trace');
});

test('ages', () => {
  const ago = (s: number) => formatAge(new Date(now.getTime() - s * 1000), now);
  assert.equal(ago(10), 'just now');
  assert.equal(ago(-30), 'just now');
  assert.equal(ago(61), '1m ago');
  assert.equal(ago(3600 * 3), '3h ago');
  assert.equal(ago(86400 * 3), '3d ago');
});

test('summary markdown from a string or an object', () => {
  assert.equal(summaryMarkdown('# s'), '# s');
  assert.equal(summaryMarkdown({ markdown: '# m' }), '# m');
  assert.equal(summaryMarkdown({ kind: 'markdown', value: '# v' }), '# v');
  assert.equal(summaryMarkdown(null), undefined);
  assert.equal(summaryMarkdown({ loaded: false }), undefined);
});
