import './register';

import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatAge, parseProfileStatus, parseTraceStatus, statusText, summaryMarkdown } from '../../src/traceStatus';

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

test('profiles in force join the trace in one item: kinds, count, baseline; leaks warn', () => {
  const trace = parseTraceStatus({ loaded: true, path: '/ws/t.trace', goroutines: 4, leaks: 0 });
  const profiles = parseProfileStatus({
    loaded: true, leaks: 20, baseline: '/ws/before-leaks.pb.gz',
    profiles: [
      { path: '/ws/profiles/leaks.pb.gz', kind: 'goroutineleak', findings: 2, writtenAt: '2026-03-01T11:00:00Z' },
      { path: '/ws/profiles/contention.pprof', kind: 'mutex', findings: 1 },
    ],
  });
  const shown = statusText(trace, now, profiles);
  assert.equal(shown.text,
    '$(pulse) t.trace · 4 goroutines · 0 leaked · 2 profiles (goroutineleak, mutex) · vs before-leaks.pb.gz');
  assert.ok(shown.warning, 'the leak profile\'s leaks make the item stand out even when the trace has none');
  assert.deepEqual(shown.tooltip.split('\n'), [
    'golens trace: /ws/t.trace',
    'golens goroutineleak profile: /ws/profiles/leaks.pb.gz (2 findings)',
    'golens mutex profile: /ws/profiles/contention.pprof (1 finding)',
    'the goroutineleak profile saw 20 leaked goroutines',
    'baseline (hovers show the change since): /ws/before-leaks.pb.gz',
    'Click for the trace summary.',
  ]);
});

test('profiles without a trace; nothing in force changes nothing; a profile error is in the tooltip', () => {
  const one = statusText(undefined, now, parseProfileStatus({ loaded: true, leaks: 0,
    profiles: [{ path: 'C:\\ws\\block.pprof', kind: 'block', findings: 0 }] }));
  assert.equal(one.text, '$(pulse) golens: no trace · 1 profile (block)');
  assert.equal(one.warning, false);
  assert.match(one.tooltip, /^golens: no Go execution trace loaded\..*\ngolens block profile: C:\\ws\\block\.pprof \(0 findings\)$/);

  const none = parseProfileStatus({ loaded: false, profiles: [], leaks: 0 });
  assert.deepEqual(statusText(undefined, now, none), statusText(undefined, now));
  const failed = statusText(undefined, now, parseProfileStatus({ loaded: false, profiles: [], error: 'x.pprof: CPU profile, not used' }));
  assert.equal(failed.text, '$(pulse) golens: no trace');
  assert.match(failed.tooltip, /a profile could not be loaded: x\.pprof: CPU profile, not used$/);

  const baselineOnly = statusText(undefined, now, parseProfileStatus({ loaded: false, profiles: [], baseline: '/ws/old.trace' }));
  assert.equal(baselineOnly.text, '$(pulse) golens: no trace · vs old.trace');
});

test('profile statuses the server never sends are not profiles', () => {
  assert.equal(parseProfileStatus(null), undefined);
  assert.equal(parseProfileStatus([]), undefined);
  assert.equal(parseProfileStatus({ markdown: '# x' }), undefined);
  const odd = parseProfileStatus({ loaded: true, leaks: -3, profiles: [null, 7, { kind: 'mutex' }, { path: '/p', kind: '' },
    { path: '/m.pprof', kind: 'mutex', findings: 'many' }] });
  assert.deepEqual(odd, { profiles: [{ path: '/m.pprof', kind: 'mutex', findings: undefined }], leaks: undefined,
    baseline: undefined, error: undefined });
});
