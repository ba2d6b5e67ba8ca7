// A dependency-free SVG bar chart: the statistics need bars per day, and a
// charting library would add far more bytes than these few lines.
export interface Bar {
  label: string;
  value: number;
}

export function BarChart({ bars, title, height = 160, color = '#0b57d0' }: { bars: Bar[]; title: string; height?: number; color?: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const w = Math.max(bars.length * 28, 280);
  const plot = height - 24;
  return (
    <figure style={{ margin: 0 }}>
      <figcaption style={{ fontWeight: 600, marginBottom: 4 }}>{title}</figcaption>
      <div style={{ overflowX: 'auto' }}>
        <svg role="img" aria-label={title} width={w} height={height} viewBox={`0 0 ${w} ${height}`}>
          {bars.map((b, i) => {
            const h = Math.round((b.value / max) * (plot - 14));
            const x = i * 28 + 4;
            return (
              <g key={b.label}>
                <title>{`${b.label}: ${b.value}`}</title>
                <rect x={x} y={plot - h} width={20} height={h} fill={color} rx={2} />
                <text x={x + 10} y={plot - h - 3} fontSize={9} textAnchor="middle" fill="#333">
                  {b.value}
                </text>
                <text x={x + 10} y={height - 8} fontSize={9} textAnchor="middle" fill="#595959">
                  {b.label.slice(5)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
