// How the sampler reads, in words, for the status bar's tooltip and the Connections view: live (on change), held
// back by the CPU budget, or periodic where the kernel's TCP counters cannot be read.
import * as vscode from 'vscode';
import type { ModelStatus } from '../model/modelApi';
import { CHANGE_READ_BUDGET } from '../domain/backoff';
import { isPlatformId } from '../sampling/platforms/support';

/** `0.25`, `2.5`, `30`: seconds as the sentences below show them. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return s >= 10 ? String(Math.round(s)) : String(Math.round(s * 100) / 100);
}

export interface SamplingText {
  /** A few words for the view's description when reads are not simply live; null when they are. */
  short: string | null;
  /** A sentence for tooltips. */
  sentence: string;
  /** What the table is read with, a sentence; null before the first read. */
  backend: string | null;
}

function backendSentence(status: ModelStatus): string | null {
  switch (status.backend) {
    case 'proc':
      return vscode.l10n.t('The table is /proc/net/tcp and /proc/net/tcp6, read in-process.');
    case 'ss':
      return vscode.l10n.t('The table is read with ss (netlink).');
    case 'netstat':
      // macOS: netstat for every socket, lsof for the workspace's; Windows: netstat -ano, without koffi.
      return status.platform === 'darwin'
        ? vscode.l10n.t('The table is read with netstat -anv (experimental on macOS); lsof tells which processes hold the workspace\'s sockets.')
        : status.platform === 'win32'
          ? vscode.l10n.t('The table is read with netstat -ano (experimental on Windows; GetExtendedTcpTable could not be used).')
          : vscode.l10n.t('The table is read with netstat.');
    case 'GetExtendedTcpTable':
      return vscode.l10n.t('The table is read with GetExtendedTcpTable (experimental on Windows).');
    case null:
      // Nothing read yet; on a system without a backend nothing ever will be.
      return status.platform !== null && !isPlatformId(status.platform) ? vscode.l10n.t('This operating system ({0}) has no way to read the socket table here.', status.platform) : null;
  }
}

export function samplingText(status: ModelStatus): SamplingText {
  const backend = backendSentence(status);
  if (status.paused) return { short: null, sentence: vscode.l10n.t('Sampling is paused.'), backend };
  const loop = status.loop;
  if (loop === null || !loop.changeDriven) {
    return {
      short: vscode.l10n.t('every {0} s', seconds(status.intervalMs)),
      sentence: vscode.l10n.t('Reads the socket table every {0} s (the kernel\'s TCP counters, which would say when something changed, cannot be read here).', seconds(status.intervalMs)),
      backend,
    };
  }
  const live = vscode.l10n.t('Live: reads the socket table when a connection opens, closes or changes state (the kernel\'s TCP counters are checked every {0} s), and at least every {1} s.', seconds(loop.probePeriodMs ?? 0), seconds(loop.heartbeatMs));
  if (loop.throttledMs !== null && loop.busyGapMs !== null) {
    return {
      short: vscode.l10n.t('busy: reads {0} s apart', seconds(loop.busyGapMs)),
      sentence: `${live} ${vscode.l10n.t('Busy: changes keep coming, so reads are about {0} s apart to stay within {1} % of a core.', seconds(loop.busyGapMs), String(Math.round(CHANGE_READ_BUDGET * 100)))}`,
      backend,
    };
  }
  return { short: null, sentence: live, backend };
}
