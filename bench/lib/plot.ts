import type { BenchResult } from './result.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart (SVG) of one benchmark result: a group per case, a bar per contender, scaled
 * to the case's largest value so contenders compare within a case. Causeway's bars are dark, the
 * competitors' light. Pure; `npm run bench -- NAME --plot` writes it to docs/plots/NAME.svg.
 */
export function barChartSvg(r: BenchResult): string {
  const rows = r.rows.filter((x) => x.value !== undefined);
  const cases = [...new Set(rows.map((x) => x.case))];
  const barH = 16;
  const gap = 6;
  const labelW = 330;
  const plotW = 360;
  let y = 36;
  const parts: string[] = [];
  for (const c of cases) {
    const inCase = rows.filter((x) => x.case === c);
    const max = Math.max(...inCase.map((x) => x.value!));
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${esc(c)}</text>`);
    y += barH + gap;
    for (const x of inCase) {
      const w = max > 0 ? Math.max(1, Math.round((x.value! / max) * plotW)) : 1;
      parts.push(`<text x="16" y="${y + 12}">${esc(x.contender)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="${x.ours ? '#1f4e79' : '#9dc3e6'}"/>`);
      parts.push(`<text x="${labelW + w + 6}" y="${y + 12}">${x.value!.toLocaleString('en-US')}</text>`);
      y += barH + gap;
    }
    y += gap;
  }
  const height = y + 8;
  const width = labelW + plotW + 130;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${esc(r.name)} (${esc(r.unit)}, higher is better)</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
