// golens.logLevel filters what the language client writes to the output channel. The client
// formats each message as `[Info  - 10:00:00 AM] text` (optionally followed by one data line),
// so the filter reads that prefix. Raw writes (`append`: the server's stderr, i.e. tracebacks)
// always pass: they are what a bug report needs.
import type { LogLevel } from './settings';

export interface LineSink {
  append(value: string): void;
  appendLine(value: string): void;
}

const RANK: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3 };
// LSP message traces have their own switch (golens.lsp.trace.server): shown whenever written.
const ALWAYS = -1;

const PREFIX = /^\[(Error|Warn|Info|Debug|Log|Trace|LSP)\s*-/;

function rankOf(kind: string): number {
  switch (kind) {
    case 'Error': return RANK.error;
    case 'Warn': return RANK.warning;
    case 'Info': case 'Log': return RANK.info;
    case 'Debug': return RANK.debug;
    default: return ALWAYS;
  }
}

export class LevelFilter {
  private dropping = false;

  constructor(
    private readonly sink: LineSink,
    private readonly level: () => LogLevel,
    private readonly rewrite: (line: string) => string = (line) => line,
  ) {}

  append(value: string): void {
    this.dropping = false;
    this.sink.append(value);
  }

  appendLine(line: string): void {
    const value = this.rewrite(line);
    const match = PREFIX.exec(value);
    if (match) {
      this.dropping = rankOf(match[1]) > RANK[this.level()];
    }
    // A line without the prefix continues the message before it (its data) and shares its fate.
    if (!this.dropping) {
      this.sink.appendLine(value);
    }
  }
}

/** The extension's own messages, under the same level. */
export class Logger {
  constructor(private readonly sink: LineSink, private readonly level: () => LogLevel) {}

  private write(kind: LogLevel, label: string, message: string): void {
    if (RANK[kind] <= RANK[this.level()]) {
      this.sink.appendLine(`[${label.padEnd(5)} - ${new Date().toLocaleTimeString()}] ${message}`);
    }
  }

  error(message: string): void { this.write('error', 'Error', message); }
  warn(message: string): void { this.write('warning', 'Warn', message); }
  info(message: string): void { this.write('info', 'Info', message); }
  debug(message: string): void { this.write('debug', 'Debug', message); }
}
