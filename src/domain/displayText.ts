// Text from other processes (a process's name and command line, ss's error output, a host name) made safe to show
// to a person. Any local user can name a process with terminal escapes (retitle the terminal, hide or recolour
// text) or a newline that fakes a row of a table; so every human-readable output passes such text through
// escapeControls. Machine-readable output (JSON) keeps the exact text. Pure: no vscode, no node:.

/** C0 controls, DEL and the C1 controls (U+0080-U+009F; some terminals read U+009B as CSI). */
import { SHORT_STATE_NAMES, TCP_STATES } from './states';

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

/** U+2011 NON-BREAKING HYPHEN: looks like `-`, but a line never breaks after it. */
export const NON_BREAKING_HYPHEN = '\u2011';

// The hyphenated names of states.ts (RFC names and ss's short ones), longest first so SYN-RECEIVED wins over SYN-RECV.
const STATE_NAME = new RegExp(
  `\\b(?:${[...new Set(TCP_STATES.flatMap((s) => [s, SHORT_STATE_NAMES[s]]))]
    .filter((n) => n.includes('-'))
    .sort((a, b) => b.length - a.length)
    .join('|')})\\b`,
  'g',
);

/**
 * The text with the hyphens of state names (CLOSE-WAIT, FIN-WAIT-2, SYN-RECV...) made non-breaking, for text
 * that wraps in a tooltip: `CLOSE-` at the end of one line and `WAIT` on the next reads as two words. Only for
 * display: searching or copying the text finds U+2011, not `-`.
 */
export function keepStateNamesWhole(text: string): string {
  return text.replace(STATE_NAME, (name) => name.replace(/-/g, NON_BREAKING_HYPHEN));
}

/**
 * Prose for a Markdown tooltip or hover: control characters escaped, state names kept whole, Markdown's
 * punctuation escaped, line breaks flattened. Not MarkdownString.appendText: it turns every space into `&nbsp;`,
 * so a long line can break only at a hyphen, which is where VS Code then breaks it (`CLOSE-` / `WAIT`).
 */
export function markdownProse(text: string): string {
  return keepStateNamesWhole(escapeControls(text.replace(/\r?\n/g, ' '))).replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, '\\$&');
}
