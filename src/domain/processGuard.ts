// Whether a pid still names the process the user picked. A pid is reused once its process is gone (pid_max may be
// as low as 32768), so a pid checked when the user picks a row may name another process by the time a signal is
// sent (a confirmation dialog can stay open for minutes). A process is its pid plus its start time (field 22 of
// /proc/<pid>/stat, clock ticks after boot): the pair never repeats. Pure: the caller reads /proc.

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat. */
  startTime: number;
}

/** What /proc says about the pid now: null when there is no such process. */
export interface ProcessReading {
  startTime: number;
  /** One-letter state (field 3): Z (zombie) and X (dead) have exited. */
  state: string;
}

export type GuardVerdict = { kind: 'ok' } | { kind: 'exited' } | { kind: 'changed'; startTime: number };

/** The picked process against a fresh reading of its pid. */
export function checkIdentity(picked: ProcessIdentity, now: ProcessReading | null): GuardVerdict {
  if (now === null || now.state === 'Z' || now.state === 'X') return { kind: 'exited' };
  if (now.startTime !== picked.startTime) return { kind: 'changed', startTime: now.startTime };
  return { kind: 'ok' };
}

/**
 * The identity to hold on to when the user picks a row: the start time the model saw the owner with, when it has
 * one, else the one read now. When the two differ, the row's process is gone and its pid names another already.
 */
export function pickIdentity(pid: number, modelStartTime: number | undefined, now: ProcessReading | null): { identity: ProcessIdentity; verdict: GuardVerdict } {
  const startTime = modelStartTime ?? now?.startTime ?? -1;
  const identity = { pid, startTime };
  return { identity, verdict: checkIdentity(identity, now) };
}
