import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export type { Series } from '../parse.js';
import type { Series } from '../parse.js';

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];

/** Aligns several series on one time axis, as uPlot wants (a value or null per series per time). */
export function align(series: readonly Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: Array<number | null> = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) col[index.get(x)!] = y;
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/**
 * A uPlot line chart (canvas; 50 kB, fast with thousands of points). uPlot sets sizes through the CSSOM,
 * which the Content-Security-Policy allows; labels are set as text, so a hostile stream name stays text.
 */
export function LineChart({ title, series, height = 220 }: { title: string; series: readonly Series[]; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('\u0000');
  useEffect(() => {
    const el = host.current!;
    const width = Math.max(280, el.clientWidth || 600);
    plot.current = new uPlot(
      {
        title,
        width,
        height,
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]!, width: 2, spanGaps: true }))],
        axes: [{}, {}],
      },
      align(series),
      el,
    );
    const onResize = (): void => plot.current?.setSize({ width: Math.max(280, el.clientWidth), height });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, title]);
  useEffect(() => {
    plot.current?.setData(align(series));
  }, [series]);
  return <div class="chart" ref={host} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ') || 'no data'}`} />;
}
