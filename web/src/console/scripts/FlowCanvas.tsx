// The flow as boxes and arrows on an SVG canvas: drag a node to move it, click to select.
import { useRef, useState } from 'react';
import type { Script } from '../../api/scripts';
import { edgesOf, NODE_H, NODE_W } from './model';

const COLORS: Record<string, string> = {
  say: '#e6f4ff',
  listen: '#f6ffed',
  branch: '#fff7e6',
  dtmf: '#f9f0ff',
  set: '#f0f5ff',
  transfer: '#fff1f0',
  hangup: '#fafafa',
  llm: '#fcffe6',
};

export function FlowCanvas({
  script,
  selected,
  onSelect,
  onMove,
  label,
}: {
  script: Script;
  selected: string;
  onSelect: (id: string) => void;
  onMove: (id: string, x: number, y: number) => void;
  label: string;
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ id: string; dx: number; dy: number } | null>(null);
  const pos = new Map(script.nodes.map((n) => [n.id, { x: n.x ?? 0, y: n.y ?? 0 }]));
  const width = Math.max(800, ...script.nodes.map((n) => (n.x ?? 0) + NODE_W + 60));
  const height = Math.max(420, ...script.nodes.map((n) => (n.y ?? 0) + NODE_H + 60));

  const point = (e: React.PointerEvent) => {
    const r = svgRef.current?.getBoundingClientRect();
    return { x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) };
  };

  return (
    <div style={{ overflow: 'auto', border: '1px solid #f0f0f0', borderRadius: 8, background: '#fff' }}>
      <svg
        ref={svgRef}
        width={width}
        height={height}
        role="img"
        aria-label={label}
        data-testid="flow-canvas"
        onPointerMove={(e) => {
          if (!drag) return;
          const p = point(e);
          onMove(drag.id, Math.max(0, Math.round(p.x - drag.dx)), Math.max(0, Math.round(p.y - drag.dy)));
        }}
        onPointerUp={() => setDrag(null)}
        onPointerLeave={() => setDrag(null)}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#8c8c8c" />
          </marker>
        </defs>
        {script.nodes.flatMap((n) =>
          edgesOf(n).map((e, i) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + NODE_W;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x;
            const y2 = b.y + NODE_H / 2;
            const back = x2 <= x1;
            const d = back
              ? `M ${x1} ${y1} C ${x1 + 60} ${y1 + 80}, ${x2 - 60} ${y2 + 80}, ${x2} ${y2}`
              : `M ${x1} ${y1} C ${(x1 + x2) / 2} ${y1}, ${(x1 + x2) / 2} ${y2}, ${x2} ${y2}`;
            return (
              <g key={`${e.from}-${e.to}-${i}`} data-testid={`edge-${e.from}-${e.to}`}>
                <path d={d} fill="none" stroke="#bfbfbf" strokeWidth={1.5} markerEnd="url(#arrow)" />
                {e.label ? (
                  <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4 + (back ? 50 : 0)} fontSize={10} fill="#8c8c8c" textAnchor="middle">
                    {e.label.length > 24 ? `${e.label.slice(0, 22)}…` : e.label}
                  </text>
                ) : null}
              </g>
            );
          }),
        )}
        {script.nodes.map((n) => {
          const p = pos.get(n.id) ?? { x: 0, y: 0 };
          const isStart = n.id === script.start;
          return (
            <g
              key={n.id}
              transform={`translate(${p.x},${p.y})`}
              data-testid={`node-${n.id}`}
              style={{ cursor: 'grab' }}
              onPointerDown={(e) => {
                const q = point(e);
                setDrag({ id: n.id, dx: q.x - p.x, dy: q.y - p.y });
                onSelect(n.id);
              }}
            >
              <rect
                width={NODE_W}
                height={NODE_H}
                rx={8}
                fill={COLORS[n.type] ?? '#fff'}
                stroke={selected === n.id ? '#1677ff' : isStart ? '#52c41a' : '#d9d9d9'}
                strokeWidth={selected === n.id || isStart ? 2 : 1}
              />
              <text x={10} y={20} fontSize={12} fontWeight={600}>
                {n.id} · {n.type}
              </text>
              <text x={10} y={40} fontSize={11} fill="#595959">
                {(n.text ?? n.label ?? '').slice(0, 14)}
                {(n.text ?? '').length > 14 ? '…' : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
