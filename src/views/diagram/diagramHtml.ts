// The state-diagram webview's HTML document: one bundle, one stylesheet, a strict CSP. Kept apart from
// diagramView.ts (no `vscode` import) so the headless-Chromium tests load exactly the page VS Code loads.

export interface DiagramHtmlOptions {
  /** `webview.cspSource`: the origin the webview's own resources are served from. */
  cspSource: string;
  /** A fresh random value per page load (crypto.randomBytes), never Math.random. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** BCP 47 language tag of the UI (`en`, `zh-cn`). */
  lang: string;
  title: string;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * CSP: nothing by default; scripts only with the nonce; styles only from the extension's own files.
 * vscode-elements (Lit) styles its shadow roots with constructable stylesheets (`adoptedStyleSheets`), which
 * style-src does not govern, so no 'unsafe-inline' is needed; the webview code sets styles through the CSSOM
 * (`element.style.x = ...`), which CSP allows too. No fonts, images or connections are loaded.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`, `img-src ${cspSource}`].join('; ');
}

export function diagramHtml(o: DiagramHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="${escapeAttr(o.lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${escapeAttr(o.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
