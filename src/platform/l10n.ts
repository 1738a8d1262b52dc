// The UI language, once: the state texts' locale (Simplified Chinese when VS Code runs in it, else English) and
// duration units as VS Code translates them.
import * as vscode from 'vscode';
import type { DurationUnits } from '../domain/format';
import type { Locale } from '../domain/stateTexts';

/** The UI language as the state texts know it. The UI language cannot change without a window reload. */
export function uiLocale(language: string = vscode.env.language): Locale {
  return language.toLowerCase() === 'zh-cn' ? 'zh-cn' : 'en';
}

/** Duration units in the UI language (for formatDuration). */
export function durationUnits(): DurationUnits {
  return { ms: vscode.l10n.t('ms'), s: vscode.l10n.t('s'), min: vscode.l10n.t('min'), h: vscode.l10n.t('h'), d: vscode.l10n.t('d') };
}

/**
 * A clock time in the UI language (`08:21:07` in Chinese, `8:21:07 AM` in English): the extension host's own
 * default locale is the machine's, not the editor's, so toLocaleTimeString() alone read "8:21:07 AM" in a
 * Chinese UI.
 */
export function clockTime(at: number, language: string = vscode.env.language): string {
  try {
    return new Date(at).toLocaleTimeString(language);
  } catch {
    return new Date(at).toLocaleTimeString(); // a language tag Intl does not know
  }
}
