// Durations and clock times as the list and the ladder show them, in the host's strings.
import { format, type WebviewStrings } from '../src/shared/protocol';

export function formatDuration(ms: number, s: WebviewStrings): string {
  if (ms < 1000) return format(s.durationMs, Math.max(0, Math.round(ms)));
  if (ms < 60_000) return format(s.durationS, (ms / 1000).toFixed(ms < 10_000 ? 1 : 0));
  if (ms < 3_600_000) return format(s.durationMin, Math.floor(ms / 60_000), Math.floor((ms % 60_000) / 1000));
  return format(s.durationH, Math.floor(ms / 3_600_000), Math.floor((ms % 3_600_000) / 60_000));
}

/** Local time of day to the millisecond: `14:03:27.042`. */
export function clock(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
