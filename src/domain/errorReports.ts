// Which kinds of sampling error the user was already told about. An error is shown once while it lasts (every
// sample would repeat it otherwise), and again when it comes back after sampling worked in between: a recovery
// ends the episode. Pure: the model asks it, and shows or logs.

export class ErrorReports<K> {
  private readonly told = new Set<K>();

  /** Whether this failure is news: its kind was not shown since the last success (and is now marked shown). */
  shouldReport(kind: K): boolean {
    if (this.told.has(kind)) return false;
    this.told.add(kind);
    return true;
  }

  /** A sample worked: any kind that fails again later is shown again. */
  recovered(): void {
    this.told.clear();
  }

  /** The user changed how sampling is done (backend, ss path): the same as a recovery. */
  clear(): void {
    this.told.clear();
  }
}
