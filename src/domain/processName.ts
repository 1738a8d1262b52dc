// How every view names a process: its command and, for an interpreter, the script it runs. Pure.
import { escapeControls } from './displayText';

const SCRIPT_FILE = /\.(?:[cm]?js|ts|py|rb|pl|php|jar|sh|lua)$/i;

/**
 * The name a developer knows a process by: the command (`/proc/<pid>/comm`), and for an interpreter the script it
 * runs (`node srv.js`, `python3 -m http.server`): otherwise every Node or Python process reads the same. Control
 * characters are escaped (escapeControls): every label, description and tooltip naming a process goes through here.
 */
export function processName(command: string, argv?: readonly string[]): string {
  return escapeControls(rawProcessName(command, argv));
}

function rawProcessName(command: string, argv?: readonly string[]): string {
  if (!argv || argv.length < 2) return command;
  const script = argv.slice(1).find((a) => !a.startsWith('-') && SCRIPT_FILE.test(a) && !/\s/.test(a));
  if (script !== undefined) return `${command} ${script.slice(script.lastIndexOf('/') + 1)}`;
  const m = argv.indexOf('-m');
  if (m > 0 && m + 1 < argv.length && /^[\w.]+$/.test(argv[m + 1])) return `${command} -m ${argv[m + 1]}`;
  return command;
}

/** `node srv.js 4242`: the name and the pid, as the tree's rows and groups and the insights say it. */
export function processLabel(owner: { pid: number; command: string } | null, strings: { noProcess: string }, argv?: readonly string[]): string {
  return owner ? `${processName(owner.command, argv)} ${owner.pid}` : strings.noProcess;
}
