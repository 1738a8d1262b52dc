// Renders media/icon.png (the Marketplace/extensions-list icon, 128x128) from the same three-state diagram as
// the activity bar's media/tcp.svg, in colour, with headless Chromium. Run after changing either drawing:
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, ROOT } from './code-server.mjs';

const glyph = readFileSync(join(ROOT, 'media', 'tcp.svg'), 'utf8');
const paths = [...glyph.matchAll(/<path d="([^"]+)"\/>/g)].map((m) => m[1]);
// LISTEN (blue) -> ESTABLISHED (green) -> TIME-WAIT (amber): the life of one connection.
const nodes = [
  { cx: 5, cy: 6, fill: '#4fc1ff' },
  { cx: 19, cy: 6, fill: '#73c991' },
  { cx: 12, cy: 19, fill: '#e2c08d' },
];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <rect x="4" y="4" width="120" height="120" rx="24" fill="#1e2a3a"/>
  <g transform="translate(16 14) scale(4)" stroke-linecap="round" stroke-linejoin="round">
    ${paths.map((d) => `<path d="${d}" fill="none" stroke="#e8eef5" stroke-width="1.3"/>`).join('')}
    ${nodes.map((n) => `<circle cx="${n.cx}" cy="${n.cy}" r="2.9" fill="${n.fill}" stroke="#e8eef5" stroke-width="0.8"/>`).join('')}
  </g>
</svg>`;

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = join(ROOT, 'media', 'icon.png');
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
