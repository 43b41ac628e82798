// A tiny SVG line chart: no axes, a labelled current value, gaps where data is missing.
import { useId } from 'react';

export interface Line {
  label: string;
  values: (number | null)[];
  className: string;
}

const W = 240;
const H = 56;

export function Sparkline({ title, span, lines, format, max }: { title: string; span: string; lines: Line[]; format: (v: number) => string; max?: number }) {
  const titleId = useId();
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const top = max ?? Math.max(1, ...all);
  const n = Math.max(1, ...lines.map((l) => l.values.length));
  const x = (i: number): number => (n === 1 ? W : (i / (n - 1)) * W);
  const y = (v: number): number => H - 2 - (Math.min(v, top) / top) * (H - 4);

  const summary = lines.map((l) => `${l.label} ${lastValue(l.values, format)}`).join(', ');
  return (
    <figure className="chart">
      <figcaption id={titleId}>
        {title}
        <span className="chart-values">
          {lines.map((l) => (
            <span key={l.label} className={l.className}>
              {lines.length > 1 ? `${l.label} ` : ''}
              {lastValue(l.values, format)}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-labelledby={titleId} aria-description={`${span}; now: ${summary}; peak ${format(top)}`}>
        <line x1={0} x2={W} y1={H - 2} y2={H - 2} className="chart-base" vectorEffect="non-scaling-stroke" />
        {lines.map((l) => (
          <path key={l.label} d={pathOf(l.values, x, y)} className={`chart-line ${l.className}`} />
        ))}
      </svg>
    </figure>
  );
}

function pathOf(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

function lastValue(values: (number | null)[], format: (v: number) => string): string {
  // The newest bucket is still filling; the one before it is the honest "now".
  for (let i = values.length - 2; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return format(v);
  }
  return '–';
}
