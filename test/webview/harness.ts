// Loads the real webview bundle (dist/webview.js + dist/webview.css) into headless Chromium, in the same HTML
// and CSP the extension serves (src/views/diagram/diagramHtml.ts), from a local HTTP server on 127.0.0.1. VS Code's
// `acquireVsCodeApi` is replaced by a recorder of posted messages, and the theme's CSS variables are set as
// VS Code sets them, so what the tests see is what the view shows.
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type * as CodeServerModule from '../../scripts/code-server.mjs';
import { emptyCounts, type Connection, type HistoryEntry, type StateCounts, type TcpState } from '../../src/domain/types';
import { diagramHtml } from '../../src/views/diagram/diagramHtml';
import { webviewStrings, type Translator } from '../../src/views/diagram/diagramStrings';
import { buildFullState, type FullState, type HostMessage } from '../../src/shared/protocol';
import { format } from '../../src/domain/format';
import { DIAGRAM_EDGES } from '../../src/domain/diagram';
import { STATE_TEXTS, type Locale } from '../../src/domain/stateTexts';

export const root = join(__dirname, '..', '..', '..');

/** The translator VS Code would use for `locale`: the zh-cn bundle, or the English keys themselves. */
export function translator(locale: Locale): Translator {
  const bundle: Record<string, string> =
    locale === 'zh-cn' ? (JSON.parse(readFileSync(join(root, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>) : {};
  return { t: (message, ...args) => format(bundle[message] ?? message, ...args.map((a) => (typeof a === 'boolean' ? String(a) : a))) };
}

/**
 * The `init` state as the host builds it (src/shared/protocol.ts buildFullState, which the host's diagram view
 * uses too), with the strings translated as VS Code would for `over.locale`; `over` replaces any field.
 */
export function fullState(over: Partial<FullState> = {}): FullState {
  const locale = over.locale ?? 'en';
  const built = buildFullState({
    locale,
    strings: webviewStrings(translator(locale)),
    stateInfo: STATE_TEXTS,
    edges: DIAGRAM_EDGES,
    connections: [],
    counts: emptyCounts(),
    insights: [],
    paused: false,
    error: null,
    reducedMotion: false,
    now: Date.now(),
    selection: null,
  });
  return { ...built, ...over };
}

export function countsOf(connections: readonly Connection[]): StateCounts {
  const c = emptyCounts();
  for (const x of connections) c[x.state]++;
  return c;
}

let port = 40000;
/** A connection record as the tracker makes them; `history` as [state, since, inferred?] triples. */
export function connection(
  id: string,
  role: Connection['role'],
  history: [TcpState, number, boolean?][],
  over: Partial<Connection> = {},
): Connection {
  const h: HistoryEntry[] = history.map(([state, since, inferred], i) => ({
    state,
    since,
    until: i + 1 < history.length ? history[i + 1][1] : null,
    inferred: inferred ?? false,
    startSeen: !(inferred ?? false),
  }));
  const last = h[h.length - 1];
  const p = port++;
  return {
    id,
    family: 'ipv4',
    local: role === 'client' ? { address: '127.0.0.1', port: p } : { address: '127.0.0.1', port: 8080 },
    remote: role === 'client' ? { address: '127.0.0.1', port: 8080 } : role === 'listener' ? { address: '0.0.0.0', port: 0 } : { address: '127.0.0.1', port: p },
    inode: 1000 + p,
    role,
    owner: { pid: 4242, command: 'node' },
    state: last.state,
    history: h,
    openedAt: h[0].since,
    closedAt: null,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    ...over,
  };
}

/** VS Code's Dark Modern / Light Modern values for the variables the view uses (a subset VS Code injects). */
const THEMES = {
  dark: {
    class: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-errorForeground': '#f85149',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
      '--vscode-sideBar-background': '#181818',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-editorWidget-border': '#313131',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-editorHoverWidget-background': '#202020',
      '--vscode-editorHoverWidget-border': '#454545',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-panel-border': '#2b2b2b',
    },
  },
  light: {
    class: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-errorForeground': '#f85149',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': 'monospace',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-editorWidget-border': '#c8c8c8',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-editorHoverWidget-background': '#f8f8f8',
      '--vscode-editorHoverWidget-border': '#c8c8c8',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-panel-border': '#e5e5e5',
    },
  },
} as const;

export interface OpenOptions {
  width?: number;
  height?: number;
  theme?: keyof typeof THEMES;
  reducedMotion?: boolean;
  /** Extra body classes (e.g. `vscode-high-contrast`). */
  bodyClass?: string;
  /** Device pixels per CSS pixel (screenshots). */
  scale?: number;
}

export interface WebviewPage {
  page: Page;
  /** Messages the webview posted to the host, in order. */
  posted(): Promise<unknown[]>;
  /** Delivers a message as the host's postMessage would (a `message` event on the window). */
  send(msg: HostMessage | unknown): Promise<void>;
  /** Console errors and page errors seen so far. */
  problems: string[];
  /** Content-Security-Policy violations reported in the page. */
  cspViolations(): Promise<string[]>;
  close(): Promise<void>;
}

/** The bundle, read once per process: a rebuild running meanwhile (the tree is shared) cannot pull it away mid-run. */
let bundle: Record<string, [Buffer, string]> | null = null;
function loadBundle(): Record<string, [Buffer, string]> {
  if (!bundle) {
    const js = join(root, 'dist', 'webview.js');
    const css = join(root, 'dist', 'webview.css');
    if (!existsSync(js) || !existsSync(css)) throw new Error('dist/webview.js or dist/webview.css is missing: run node scripts/build.mjs first');
    bundle = { '/dist/webview.js': [readFileSync(js), 'text/javascript'], '/dist/webview.css': [readFileSync(css), 'text/css'] };
  }
  return bundle;
}

function serve(): Promise<{ server: Server; origin: string }> {
  const files = loadBundle();
  let origin = '';
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/') {
      const nonce = randomBytes(18).toString('base64');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(diagramHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, lang: 'en', title: 'TCP State Diagram' }));
      return;
    }
    if (url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const f = files[url];
    if (f) {
      res.writeHead(200, { 'content-type': f[1] });
      res.end(f[0]);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ server, origin });
    });
  });
}

/** The parts of the page's globals the harness touches (this file compiles without the DOM library). */
interface PageGlobals {
  __posted: unknown[];
  __csp: string[];
  __state: unknown;
  acquireVsCodeApi: () => unknown;
  postMessage(message: unknown, targetOrigin: string): void;
  document: {
    documentElement: { style: { setProperty(k: string, v: string): void } };
    body: { classList: { add(...c: string[]): void } };
    addEventListener(type: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  };
}

/** Runs in the page before its scripts: what VS Code's webview host provides. */
function installFakeVsCode({ vars, bodyClass }: { vars: Record<string, string>; bodyClass: string }): void {
  const w = globalThis as unknown as PageGlobals;
  w.__posted = [];
  w.__csp = [];
  w.__state = undefined;
  let acquired = false;
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => w.__state,
      setState: (s: unknown) => {
        w.__state = s;
      },
    };
  };
  w.document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  // VS Code sets the theme's variables on <html> and a theme class on <body> (CSSOM, which the CSP allows).
  // The document has no elements yet when this runs; the page's script runs at the end of <body>, before this.
  w.document.addEventListener('DOMContentLoaded', () => {
    for (const [k, v] of Object.entries(vars)) w.document.documentElement.style.setProperty(k, v);
    // The webview's iframe shows the view's background behind its transparent body.
    w.document.documentElement.style.setProperty('background', vars['--vscode-sideBar-background'] ?? '');
    w.document.body.classList.add(...bodyClass.split(' ').filter(Boolean));
  });
}

let browserPromise: Promise<Browser> | null = null;
/** One Chromium per test process, launched as everywhere else in the project (scripts/code-server.mjs). */
export function browser(): Promise<Browser> {
  browserPromise ??= (import(pathToFileURL(join(root, 'scripts', 'code-server.mjs')).href) as Promise<typeof CodeServerModule>).then((m) => m.launchChromium());
  return browserPromise;
}

export async function closeBrowser(): Promise<void> {
  if (browserPromise) {
    const b = await browserPromise;
    browserPromise = null;
    await b.close();
  }
}

export async function openWebview(o: OpenOptions = {}): Promise<WebviewPage> {
  const { server, origin } = await serve();
  const b = await browser();
  const context = await b.newContext({ viewport: { width: o.width ?? 1100, height: o.height ?? 800 }, reducedMotion: o.reducedMotion ? 'reduce' : 'no-preference', deviceScaleFactor: o.scale ?? 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const theme = THEMES[o.theme ?? 'dark'];
  await page.addInitScript(installFakeVsCode, { vars: theme.vars as Record<string, string>, bodyClass: `${theme.class} ${o.bodyClass ?? ''}` });
  await page.goto(`${origin}/`);
  try {
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.length > 0, undefined, { polling: 50, timeout: 20_000 });
  } catch (err) {
    const html = await page.content().catch(() => '?');
    await context.close();
    server.close();
    throw new Error(`the webview never said ready: ${String(err)}\nproblems: ${problems.join('; ')}\npage: ${html.slice(0, 600)}`);
  }
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__posted),
    send: (msg) => page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage(m, '*'), msg),
    cspViolations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__csp),
    async close() {
      await context.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
