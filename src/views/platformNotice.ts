// Says once, on macOS and Windows, that their backends are experimental (README "Platforms"): built from the tools'
// documentation, source and recorded output, and not run on those systems by this project's tests. Every
// activation logs it; the notification comes once per system (remembered in the extension's global state).
import * as vscode from 'vscode';
import { platformSupport } from '../sampling/platforms/support';

/** The global-state key that remembers the notice was shown on `platform`. */
export function platformNoticeKey(platform: string): string {
  return `platformNotice.experimental.${platform}`;
}

const NAMES: Readonly<Record<string, string>> = { darwin: 'macOS', win32: 'Windows' };

/**
 * Logs, on a system whose backend is experimental, that it is; shows it as a notification the first time. Returns
 * whether the notification was shown now (false on Linux, and on every later activation).
 */
export function showPlatformNotice(state: vscode.Memento, log: Pick<vscode.LogOutputChannel, 'warn' | 'show'>, platform: string = process.platform): boolean {
  if (platformSupport(platform) !== 'experimental') return false;
  const name = NAMES[platform] ?? platform;
  const text = vscode.l10n.t(
    'TCP State Viewer on {0} is experimental: it reads the socket table with the system\'s own tools, and this project\'s tests do not run on {0}. If a view looks wrong, the log says what was read.',
    name,
  );
  log.warn(text);
  const key = platformNoticeKey(platform);
  if (state.get<boolean>(key) === true) return false;
  void state.update(key, true);
  const showLog = vscode.l10n.t('Show Log');
  void vscode.window.showInformationMessage(text, showLog).then((picked) => {
    if (picked === showLog) log.show(true);
  });
  return true;
}
