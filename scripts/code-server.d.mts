// Types of scripts/code-server.mjs for the TypeScript test harness (test/vscode/*.ts).
import type { Browser, LaunchOptions } from 'playwright-core';

export const ROOT: string;
export const CODE_SERVER_VERSION: string;
export const INSTALL_DIR: string;
export const CHROMIUM_ARGS: string[];
export const CHROMIUM_PATH: string;
export const QUIET_SETTINGS: Record<string, unknown>;

export function codeServerInstalled(): boolean;
export function ensureCodeServer(options?: { log?: (message: string) => void }): Promise<string>;
export function writeUserSettings(userDataDir: string, settings?: Record<string, unknown>): void;

export interface CodeServer {
  /** e.g. http://127.0.0.1:41235/ */
  url: string;
  port: number;
  /** pid of the server, also its process group id */
  pid: number;
  userDataDir: string;
  extensionsDir: string;
  /** Ends the whole process group (server, extension host, terminals); resolves when the server exited. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCodeServer(options?: {
  userDataDir?: string;
  extensionsDir?: string;
  folder?: string;
  port?: number;
  /** display language (code-server --locale), e.g. 'zh-cn' */
  locale?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  log?: (message: string) => void;
  onOutput?: (text: string) => void;
  startTimeoutMs?: number;
}): Promise<CodeServer>;

export function workbenchUrl(
  baseUrl: string,
  options?: { folder?: string; extensionDevelopmentPath?: string | string[]; extensionTestsPath?: string },
): string;

export function installExtension(
  vsix: string,
  options: { userDataDir: string; extensionsDir: string; log?: (message: string) => void },
): Promise<string>;

export function launchChromium(options?: LaunchOptions): Promise<Browser>;

export interface ProcessRef {
  pid: number;
  /** start time in clock ticks (proc(5) stat field 22): tells a reused pid apart */
  start: string;
}
/** Every live descendant of pid (read from /proc), including those in other sessions or groups. */
export function descendants(pid: number): ProcessRef[];
/** Signals each recorded process that is still the same process. */
export function signalProcesses(processes: ProcessRef[], signal: NodeJS.Signals): void;
/** A symlink outside the project leading to extensionPath, for extensionDevelopmentPath (see the .mjs). */
export function extensionDevelopmentAlias(extensionPath: string): string;
