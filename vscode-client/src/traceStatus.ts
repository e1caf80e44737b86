// What the status bar says about the loaded trace. No `vscode` import: unit-tested directly.
//
// The server reports the trace with a `golens/traceStatus` notification, and may return the same
// object from `golens.loadTrace` / `golens.clearTrace` (or under `status` next to `markdown` from
// `golens.showTraceSummary`):
//   { loaded: true, path: "/abs/trace.out", capturedAt: "2026-01-02T03:04:05Z" | epoch ms,
//     goroutines: 42, leaks: 3, stale?: true }      or      { loaded: false }
// Field aliases are accepted so that a server spelling (`leaked`, `loadedAt`) still shows.
//
// The pprof profiles in force come separately, with `golens/profileStatus` (and from
// `golens.loadProfile` / `golens.clearProfiles`):
//   { loaded: true, profiles: [{ path, kind: "mutex", findings: 2, writtenAt? }], leaks: 20,
//     baseline?: "/abs/before.pb.gz", error?: "..." }
// and share the trace's status item: one place says what evidence the findings rest on.

export interface TraceStatus {
  loaded: boolean;
  path?: string;
  /** When the trace was taken (the file's time) or, failing that, loaded. */
  at?: Date;
  goroutines?: number;
  leaks?: number;
  stale?: boolean;
  error?: string;
}

export interface LoadedProfile {
  path: string;
  kind: string;
  findings?: number;
}

export interface ProfileStatus {
  profiles: LoadedProfile[];
  /** Goroutines the goroutineleak profile saw leaked. */
  leaks?: number;
  /** The earlier run's trace or profile that hovers compare against. */
  baseline?: string;
  error?: string;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function date(value: unknown): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds or milliseconds since the epoch: anything before 1980 in ms is really seconds.
    return new Date(value < 1e11 ? value * 1000 : value);
  }
  if (typeof value === 'string' && value !== '') {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  return undefined;
}

/** A TraceStatus from whatever the server sent, or undefined if it is not a status at all. */
export function parseTraceStatus(value: unknown): TraceStatus | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.status === 'object' && v.status !== null && !('loaded' in v) && !('path' in v)) {
    return parseTraceStatus(v.status);
  }
  const tracePath = typeof v.path === 'string' && v.path !== '' ? v.path
    : typeof v.trace === 'string' && v.trace !== '' ? v.trace : undefined;
  const loaded = typeof v.loaded === 'boolean' ? v.loaded : tracePath !== undefined;
  if (!('loaded' in v) && tracePath === undefined) {
    return undefined;
  }
  if (!loaded) {
    return { loaded: false, error: typeof v.error === 'string' ? v.error : undefined };
  }
  const leaksField = v.leaks ?? v.leaked ?? v.leakedGoroutines;
  return {
    loaded: true,
    path: tracePath,
    at: date(v.capturedAt ?? v.modifiedAt ?? v.loadedAt ?? v.time),
    goroutines: num(v.goroutines ?? v.goroutineCount),
    leaks: num(Array.isArray(leaksField) ? leaksField.length : leaksField),
    stale: v.stale === true,
    error: typeof v.error === 'string' ? v.error : undefined,
  };
}

/** A ProfileStatus from whatever the server sent, or undefined if it is not one. */
export function parseProfileStatus(value: unknown): ProfileStatus | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.profiles) && typeof v.loaded !== 'boolean') {
    return undefined;
  }
  const profiles: LoadedProfile[] = [];
  for (const entry of Array.isArray(v.profiles) ? v.profiles : []) {
    if (entry === null || typeof entry !== 'object') {
      continue;
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.path === 'string' && e.path !== '' && typeof e.kind === 'string' && e.kind !== '') {
      profiles.push({ path: e.path, kind: e.kind, findings: num(e.findings) });
    }
  }
  return {
    profiles,
    leaks: num(v.leaks),
    baseline: typeof v.baseline === 'string' && v.baseline !== '' ? v.baseline : undefined,
    error: typeof v.error === 'string' && v.error !== '' ? v.error : undefined,
  };
}

export function formatAge(at: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (seconds < 60) {
    return 'just now';
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours}h ago`;
  }
  return `${Math.floor(hours / 24)}d ago`;
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export interface StatusText {
  text: string;
  tooltip: string;
  warning: boolean;
}

export function statusText(status: TraceStatus | undefined, now: Date, profiles?: ProfileStatus): StatusText {
  const shown = traceText(status, now);
  if (!profiles || (profiles.profiles.length === 0 && !profiles.baseline && !profiles.error)) {
    return shown;
  }
  const parts: string[] = [];
  if (profiles.profiles.length > 0) {
    parts.push(`${plural(profiles.profiles.length, 'profile')} (${profiles.profiles.map((p) => p.kind).join(', ')})`);
  }
  if (profiles.baseline) {
    parts.push(`vs ${basename(profiles.baseline)}`);
  }
  const tooltipLines = profiles.profiles.map((p) =>
    `golens ${p.kind} profile: ${p.path}${p.findings !== undefined ? ` (${plural(p.findings, 'finding')})` : ''}`);
  if (profiles.leaks) {
    tooltipLines.push(`the goroutineleak profile saw ${profiles.leaks} leaked goroutine${profiles.leaks === 1 ? '' : 's'}`);
  }
  if (profiles.baseline) {
    tooltipLines.push(`baseline (hovers show the change since): ${profiles.baseline}`);
  }
  if (profiles.error) {
    tooltipLines.push(`a profile could not be loaded: ${profiles.error}`);
  }
  // The trace's click hint stays the tooltip's last line.
  const traceLines = shown.tooltip.split('\n');
  const hint = traceLines.length > 1 ? traceLines.pop() : undefined;
  return {
    text: parts.length ? `${shown.text} · ${parts.join(' · ')}` : shown.text,
    tooltip: [...traceLines, ...tooltipLines, ...(hint ? [hint] : [])].join('\n'),
    warning: shown.warning || (profiles.leaks ?? 0) > 0,
  };
}

function traceText(status: TraceStatus | undefined, now: Date): StatusText {
  if (!status || !status.loaded) {
    const tooltip = status?.error
      ? `golens: the trace could not be loaded: ${status.error}`
      : 'golens: no Go execution trace loaded. Click for the trace summary; "golens: Load Trace…" loads one.';
    return { text: '$(pulse) golens: no trace', tooltip, warning: status?.error !== undefined };
  }
  const parts = [status.path ? basename(status.path) : 'trace'];
  if (status.at) {
    parts.push(formatAge(status.at, now));
  }
  if (status.goroutines !== undefined) {
    parts.push(plural(status.goroutines, 'goroutine'));
  }
  if (status.leaks !== undefined) {
    parts.push(`${status.leaks} leaked`);
  }
  const tooltipLines = [`golens trace: ${status.path ?? '(unnamed)'}`];
  if (status.at) {
    tooltipLines.push(`taken ${status.at.toISOString()}`);
  }
  if (status.stale) {
    tooltipLines.push('the source changed since this trace was taken: evidence may be stale');
  }
  tooltipLines.push('Click for the trace summary.');
  return {
    text: `$(pulse) ${parts.join(' · ')}${status.stale ? ' (stale)' : ''}`,
    tooltip: tooltipLines.join('\n'),
    warning: (status.leaks ?? 0) > 0,
  };
}

/** Markdown from the `golens.showTraceSummary` result: a string, or `{markdown}` / `{value}`. */
export function summaryMarkdown(result: unknown): string | undefined {
  if (typeof result === 'string') {
    return result;
  }
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    for (const key of ['markdown', 'value', 'summary']) {
      if (typeof r[key] === 'string') {
        return r[key] as string;
      }
    }
  }
  return undefined;
}
