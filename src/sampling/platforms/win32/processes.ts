// The Windows process table without koffi: one PowerShell query of CIM's Win32_Process (documented at
// learn.microsoft.com, win32/cimwin32prov/win32-process: ProcessId, ParentProcessId, Name, CommandLine,
// CreationDate). PowerShell takes a second or so to start, so the backend asks at most every PROCESS_REFRESH_MS.
// The script prints JSON (ConvertTo-Json), so names and command lines with any character come through whole, in
// UTF-8 (it sets the console's output encoding first). CreationDate becomes ms since the epoch in the script: a
// FILETIME (~1.3e17) would lose digits in a JSON number.
// The script is passed with -EncodedCommand (base64 of its UTF-16LE text, as powershell.exe documents), so no
// argument holds a quote for Windows' command-line quoting to get wrong.

export interface PsProcess {
  pid: number;
  ppid: number;
  command: string;
  /** ms since the epoch; 0 when Windows gave none (the System Idle Process, System). */
  startTime: number;
  /** Empty when CIM gave none (another user's process without elevation). */
  commandLine: string;
}

/** The query: one process (a pid) or all. */
export function powershellScript(pid?: number): string {
  const filter = pid === undefined ? '' : ` -Filter "ProcessId=${Math.trunc(pid)}"`;
  return [
    '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8',
    `@(Get-CimInstance -ClassName Win32_Process${filter} | ForEach-Object {`,
    '  [pscustomobject]@{',
    '    p = $_.ProcessId; pp = $_.ParentProcessId; n = $_.Name; c = $_.CommandLine',
    '    t = if ($_.CreationDate) { ([DateTimeOffset]$_.CreationDate).ToUnixTimeMilliseconds() } else { 0 }',
    '  }',
    '}) | ConvertTo-Json -Compress',
  ].join('\n');
}

/** powershell.exe's arguments for `script`. */
export function powershellArgs(script: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')];
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The processes in the script's output. ConvertTo-Json prints an object rather than an array for one item (the
 * script wraps the pipeline in @() for that; both are read) and nothing at all for none. Null when the output is not
 * this JSON; entries without a pid or parent are left out.
 */
export function parsePowershellProcesses(text: string): PsProcess[] | null {
  const trimmed = typeof text === 'string' ? text.replace(/^\uFEFF/, '').trim() : '';
  if (trimmed === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return null;
  }
  const items: unknown[] = Array.isArray(json) ? json : [json];
  const out: PsProcess[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) return null;
    const o = item as Record<string, unknown>;
    if (!isCount(o.p) || !isCount(o.pp)) continue;
    out.push({
      pid: o.p,
      ppid: o.pp,
      command: typeof o.n === 'string' ? o.n : '',
      startTime: isCount(o.t) ? o.t : 0,
      commandLine: typeof o.c === 'string' ? o.c : '',
    });
  }
  return out;
}
