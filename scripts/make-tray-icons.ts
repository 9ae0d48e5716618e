// Draws the menu-bar icons into assets/tray/ (run: node --import tsx scripts/make-tray-icons.ts;
// needs rsvg-convert from Debian's librsvg2-bin, which renders SVG masks correctly).
// The PNGs are committed; this script is how they were made, so a change is a change here.
//
// One glyph (a database cylinder: "the practice's data") with a badge for the state:
//   ok ✓, warning !, error ×, running: a pie that fills with the progress (9 steps, 0–100 %).
// Two families:
//   <state>.png / @2x      colour badges for Linux trays (no template mechanism there; the mid-grey
//                          cylinder reads on light and dark panels)
//   <state>-template.png / @2x   black on transparent, the badge cut out, for macOS: QIcon.setIsMask
//                          makes it a template image so it follows light and dark menu bars.
// Sizes: 22 px (@1x) and 44 px (@2x), the menu bar's icon size.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const out = resolve(import.meta.dirname, '../assets/tray');
const tmp = join(out, '.svg');
mkdirSync(tmp, { recursive: true });

const COLOURS = { ok: '#2e9d4a', warning: '#e08a00', error: '#d12a2a', running: '#2f6fd6' } as const;
type State = keyof typeof COLOURS;

function cylinder(stroke: string): string {
  return `<g fill="none" stroke="${stroke}" stroke-width="1.7">
    <ellipse cx="9" cy="5" rx="6.2" ry="2.4"/>
    <path d="M2.8 5 V15.5 A6.2 2.4 0 0 0 15.2 15.5 V5"/>
    <path d="M2.8 10.2 A6.2 2.4 0 0 0 15.2 10.2"/>
  </g>`;
}

function symbol(state: State, percent: number, ink: string): string {
  switch (state) {
    case 'ok':
      return `<path d="M13.4 16.2 L15.4 18.2 L19 14.2" fill="none" stroke="${ink}" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>`;
    case 'warning':
      return `<path d="M16.2 13 V16.8" stroke="${ink}" stroke-width="2" stroke-linecap="round"/><circle cx="16.2" cy="19.2" r="1.1" fill="${ink}"/>`;
    case 'error':
      return `<path d="M14 14 L18.4 18.4 M18.4 14 L14 18.4" stroke="${ink}" stroke-width="1.9" stroke-linecap="round"/>`;
    case 'running': {
      // A pie from 12 o'clock, clockwise, for the progress.
      const r = 3.6;
      if (percent >= 100) return `<circle cx="16.2" cy="16.2" r="${r}" fill="${ink}"/>`;
      if (percent <= 0) return `<circle cx="16.2" cy="16.2" r="${r}" fill="none" stroke="${ink}" stroke-width="1.2"/>`;
      const a = (percent / 100) * 2 * Math.PI;
      const x = 16.2 + r * Math.sin(a);
      const y = 16.2 - r * Math.cos(a);
      return `<circle cx="16.2" cy="16.2" r="${r}" fill="none" stroke="${ink}" stroke-width="1.2"/><path d="M16.2 16.2 V${16.2 - r} A${r} ${r} 0 ${a > Math.PI ? 1 : 0} 1 ${x.toFixed(2)} ${y.toFixed(2)} Z" fill="${ink}"/>`;
    }
  }
}

function svg(state: State, percent: number, template: boolean): string {
  const body = template
    ? // Template: one colour (black) and transparency only. A gap is cut around the badge so it
      // stands apart from the cylinder, and the symbol is cut out of the badge.
      `<defs>
         <mask id="gap"><rect width="22" height="22" fill="white"/><circle cx="16.2" cy="16.2" r="6.2" fill="black"/></mask>
         <mask id="sym"><rect width="22" height="22" fill="white"/>${symbol(state, percent, 'black')}</mask>
       </defs>
       <g mask="url(#gap)">${cylinder('black')}</g>
       <circle cx="16.2" cy="16.2" r="5.4" fill="black" mask="url(#sym)"/>`
    : `${cylinder('#8a8a8a')}<circle cx="16.2" cy="16.2" r="5.9" fill="white"/><circle cx="16.2" cy="16.2" r="5.3" fill="${COLOURS[state]}"/>${symbol(state, percent, 'white')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 22 22">${body}</svg>`;
}

function render(name: string, source: string): void {
  const file = join(tmp, `${name}.svg`);
  writeFileSync(file, source);
  for (const [suffix, px] of [['', 22], ['@2x', 44]] as const) {
    execFileSync('rsvg-convert', ['-w', String(px), '-h', String(px), '-o', join(out, `${name}${suffix}.png`), file]);
  }
}

const states: [string, State, number][] = [
  ['ok', 'ok', 0],
  ['warning', 'warning', 0],
  ['error', 'error', 0],
  ...[0, 12, 25, 37, 50, 62, 75, 87, 100].map((p, i): [string, State, number] => [`running-${i}`, 'running', p]),
];
for (const [name, state, percent] of states) {
  render(name, svg(state, percent, false));
  render(`${name}-template`, svg(state, percent, true));
}
// „starting“: the glyph without a badge, shown from the app's first moment until it has read the
// config and the status (tray-app.ts): nothing is known yet, so no state is claimed. (The committed
// starting*.png were made where rsvg-convert was missing, by mirroring the badge-free left half of
// ok*.png about the cylinder's axis x = 9 with ImageMagick: the same glyph, the same rendering.)
const bare = (stroke: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 22 22">${cylinder(stroke)}</svg>`;
render('starting', bare('#8a8a8a'));
render('starting-template', bare('black'));
rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${states.length * 4 + 4} icons to ${out}`);
