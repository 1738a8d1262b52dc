// Text from other processes (a process's name and command line, ss's error output, a host name) made safe to show
// to a person. Any local user can name a process with terminal escapes (retitle the terminal, hide or recolour
// text) or a newline that fakes a row of a table; so every human-readable output passes such text through
// escapeControls. Machine-readable output (JSON) keeps the exact text. Pure: no vscode, no node:.

/** C0 controls, DEL and the C1 controls (U+0080-U+009F; some terminals read U+009B as CSI). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  return NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * The text with each control character written as an escape: `\n`, `\r`, `\t`, else `\xHH` (ESC is `\x1b`, BEL
 * `\x07`, DEL `\x7f`, CSI `\x9b`). Everything else, other scripts included, is kept. One pass, linear time.
 */
export function escapeControls(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, escapeOne) : text;
}

/**
 * A value for a log line, at most `max` characters: JSON where JSON.stringify can write it, else a short
 * description (BigInt, cycles, functions and undefined make it throw or return nothing). Never throws.
 */
export function describeValue(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(typeof value);
  } catch {
    try {
      text = typeof value === 'bigint' ? `${value}n` : `[${typeof value} ${Object.prototype.toString.call(value)}]`;
    } catch {
      text = `[${typeof value}]`;
    }
  }
  return escapeControls(text.slice(0, max));
}
