// Text formatting shared by every view, the CLI and the webview: placeholders, durations and clock times.
// One duration formatter: each caller passes its units (English, Chinese, compact for table cells, or the UI
// language's as VS Code translates them).

/** `format('{0} of {1}', 3, 4)` -> `3 of 4`; a placeholder without an argument stays as it is. */
export function format(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}

export interface DurationUnits {
  ms: string;
  s: string;
  min: string;
  h: string;
  d: string;
  /** Between a number and its unit; a space unless given. */
  sep?: string;
}

export const ENGLISH_UNITS: DurationUnits = { ms: 'ms', s: 's', min: 'min', h: 'h', d: 'd' };
export const CHINESE_UNITS: DurationUnits = { ms: '毫秒', s: '秒', min: '分', h: '小时', d: '天' };
/** For table cells and log lines: `850ms`, `59s`, `2m5s`. */
export const COMPACT_UNITS: DurationUnits = { ms: 'ms', s: 's', min: 'm', h: 'h', d: 'd', sep: '' };

/**
 * `850 ms`, `3.2 s`, `42 s`, `5 min 3 s`, `12 min`, `2 h 5 min`, `3 d 4 h`: coarser as it grows, so an old row's
 * text rarely changes from one second to the next.
 */
export function formatDuration(ms: number, units: DurationUnits = ENGLISH_UNITS): string {
  const sep = units.sep ?? ' ';
  const gap = sep === '' ? '' : ' ';
  const u = (n: number | string, unit: string): string => `${n}${sep}${unit}`;
  const t = Math.max(0, ms);
  if (t < 1000) return u(Math.floor(t), units.ms);
  if (t < 10_000) return u((Math.floor(t / 100) / 10).toFixed(1), units.s);
  const s = Math.floor(t / 1000);
  if (s < 60) return u(s, units.s);
  const min = Math.floor(s / 60);
  if (min < 10) return s % 60 === 0 ? u(min, units.min) : `${u(min, units.min)}${gap}${u(s % 60, units.s)}`;
  if (min < 60) return u(min, units.min);
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? u(h, units.h) : `${u(h, units.h)}${gap}${u(min % 60, units.min)}`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? u(d, units.d) : `${u(d, units.d)}${gap}${u(h % 24, units.h)}`;
}

/**
 * An age as a list row that stays put shows it: under 10 s exact, then whole tens of seconds, whole minutes from
 * one minute, whole hours from one hour. A label that changes each second is redrawn each second, and a click
 * whose mouseup comes after a redraw lands on a new row element and opens nothing (seen in the real VS Code).
 */
export function coarseAgeMs(ms: number): number {
  const step = ms < 10_000 ? 1000 : ms < 60_000 ? 10_000 : ms < 3_600_000 ? 60_000 : 3_600_000;
  return Math.floor(ms / step) * step;
}

/** `HH:MM:SS.mmm` in local time, as bcc's tcpstates prints its first column. */
export function clock(at: number): string {
  const d = new Date(at);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
