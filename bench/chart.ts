/**
 * The bench's chart, hand-written SVG: cost per run and history events against fleet size, ours against
 * the naive variant, on log scales. Where the naive variant cannot finish, its line shows what it would
 * need (extrapolated, dashed) and the marker what it reached before Step Functions stopped it.
 */

export interface ChartPoint {
  clusters: number;
  /** What the run measured (up to where it stopped, when it did not finish). */
  value: number;
  /** What a run that could not finish would need, extrapolated. */
  needed?: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  points: ChartPoint[];
}

export interface ChartPanel {
  title: string;
  unit: (v: number) => string;
  series: ChartSeries[];
  /** Horizontal lines: a limit or a target. */
  lines: { value: number; label: string; color: string }[];
}

const W = 380;
const H = 300;
const M = { left: 64, right: 28, top: 36, bottom: 48 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const decades = (lo: number, hi: number) => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};
const round = (n: number) => Math.round(n * 10) / 10;

function panel(p: ChartPanel, x0: number): string {
  const xs = [...new Set(p.series.flatMap((s) => s.points.map((q) => q.clusters)))].sort((a, b) => a - b);
  const ys = [...p.series.flatMap((s) => s.points.flatMap((q) => [q.value, q.needed ?? q.value])), ...p.lines.map((l) => l.value)].filter(
    (v) => v > 0,
  );
  const xLo = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const xHi = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const px = (v: number) =>
    round(x0 + M.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * (W - M.left - M.right));
  const py = (v: number) =>
    round(M.top + (1 - (Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - M.top - M.bottom));
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (const y of decades(yLo, yHi)) {
    out.push(`<line x1="${px(xLo)}" x2="${px(xHi)}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px(xLo) - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${esc(p.unit(y))}</text>`);
  }
  for (const x of decades(xLo, xHi)) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${py(yLo)}" y2="${py(yHi)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px(x)}" y="${py(yLo) + 16}" text-anchor="middle" font-size="11">${x.toLocaleString('en-US')}</text>`);
  }
  out.push(
    `<text x="${x0 + M.left + (W - M.left - M.right) / 2}" y="${H - 10}" text-anchor="middle" font-size="11">elastic clusters (+100 shared snapshots)</text>`,
  );
  for (const l of p.lines) {
    out.push(`<line x1="${px(xLo)}" x2="${px(xHi)}" y1="${py(l.value)}" y2="${py(l.value)}" stroke="${l.color}" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${px(xHi) - 2}" y="${py(l.value) - 4}" text-anchor="end" font-size="10" fill="${l.color}">${esc(l.label)}</text>`);
  }
  for (const s of p.series) {
    const pts = s.points.filter((q) => q.value > 0);
    const measured = pts.filter((q) => q.needed === undefined);
    if (measured.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${measured.map((q) => `${px(q.clusters)},${py(q.value)}`).join(' ')}"/>`,
      );
    }
    const needed = pts.map((q) => ({ clusters: q.clusters, v: q.needed ?? q.value }));
    if (needed.some((_, i) => pts[i]?.needed !== undefined) && needed.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="6 4" points="${needed.map((q) => `${px(q.clusters)},${py(q.v)}`).join(' ')}"/>`,
      );
    }
    for (const q of pts) {
      if (q.needed !== undefined) {
        out.push(`<circle cx="${px(q.clusters)}" cy="${py(q.needed)}" r="4" fill="white" stroke="${s.color}" stroke-width="1.5"/>`);
        out.push(`<rect x="${px(q.clusters) - 3}" y="${py(q.value) - 3}" width="6" height="6" fill="${s.color}"/>`);
      } else out.push(`<circle cx="${px(q.clusters)}" cy="${py(q.value)}" r="4" fill="${s.color}"/>`);
    }
  }
  return out.join('\n');
}

/** Two panels side by side, with a legend under them. */
export function benchChart(panels: [ChartPanel, ChartPanel], caption: string): string {
  const width = 2 * W + 20;
  const height = H + 56;
  const legend = panels[0].series
    .map(
      (s, i) =>
        `<g transform="translate(${M.left + i * 170},${H + 14})"><line x1="0" x2="24" y1="0" y2="0" stroke="${s.color}" stroke-width="2"/><text x="30" y="4" font-size="11">${esc(s.label)}</text></g>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    panel(panels[0], 0),
    panel(panels[1], W + 20),
    legend,
    `<text x="${M.left + 350}" y="${H + 18}" font-size="10" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
