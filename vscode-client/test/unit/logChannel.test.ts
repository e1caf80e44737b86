import './register';

import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { LevelFilter, Logger } from '../../src/logChannel';
import type { LogLevel } from '../../src/settings';

function sink() {
  const lines: string[] = [];
  return { lines, append: (v: string) => lines.push(`raw:${v}`), appendLine: (v: string) => lines.push(v) };
}

test('the client output is filtered by level; a message data line follows its header', () => {
  const out = sink();
  let level: LogLevel = 'warning';
  const filter = new LevelFilter(out, () => level);
  filter.appendLine('[Info  - 10:00:00 AM] started');
  filter.appendLine('{"detail": 1}');
  filter.appendLine('[Warn  - 10:00:01 AM] golens.disable: unknown rule');
  filter.appendLine('[Error - 10:00:02 AM] crashed');
  filter.appendLine('stack line');
  filter.appendLine('[Debug - 10:00:03 AM] noise');
  filter.append('Traceback (most recent call last):\n');
  filter.appendLine('[Trace - 10:00:04 AM] Sending request');
  assert.deepEqual(out.lines, [
    '[Warn  - 10:00:01 AM] golens.disable: unknown rule',
    '[Error - 10:00:02 AM] crashed',
    'stack line',
    'raw:Traceback (most recent call last):\n',
    '[Trace - 10:00:04 AM] Sending request',
  ]);
  level = 'debug';
  filter.appendLine('[Debug - 10:00:05 AM] now shown');
  assert.equal(out.lines[out.lines.length - 1], '[Debug - 10:00:05 AM] now shown');
});

test('the extension logger honours the level too', () => {
  const out = sink();
  const logger = new Logger(out, () => 'error');
  logger.info('hidden');
  logger.warn('hidden');
  logger.error('shown');
  assert.equal(out.lines.length, 1);
  assert.match(out.lines[0], /^\[Error - .*\] shown$/);
});
