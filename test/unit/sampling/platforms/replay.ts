// A ToolRunner that answers from recorded output and records what the backend asked for: the platform backends'
// command lines and parsing glue are checked on the real output of their programs without running them.
import type { RunOptions } from '../../../../src/sampling/childProcesses';
import type { ToolRunner } from '../../../../src/sampling/platforms/platform';

export interface Call {
  file: string;
  args: string[];
  options: RunOptions;
}

/** `answer` gets each call and returns the program's output (or throws, as runChild rejects). */
export function replay(answer: (call: Call) => string): { run: ToolRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: ToolRunner = (file, args, options) => {
    const call = { file, args: [...args], options };
    calls.push(call);
    try {
      return Promise.resolve(answer(call));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return { run, calls };
}

/** `file arg arg ...`, for comparing command lines. */
export const commandLine = (c: Call): string => [c.file, ...c.args].join(' ');
