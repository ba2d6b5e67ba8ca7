// Pure helpers of the script editor: edges of the flow graph, an automatic layout for
// scripts without positions, new node ids, and a line diff for version history.
import type { Script, ScriptNode } from '../../api/scripts';

export interface Edge {
  from: string;
  to: string;
  label: string;
}

/** Where the flow may go from a node (the same edges the Go validator follows). */
export function edgesOf(n: ScriptNode): Edge[] {
  const out: Edge[] = [];
  const add = (to: string | undefined, label: string) => {
    if (to) out.push({ from: n.id, to, label });
  };
  add(n.next, n.type === 'branch' || n.type === 'dtmf' ? 'else' : '');
  for (const b of n.branches ?? []) add(b.next, b.intents?.join(',') || b.digits || (b.var ? `${b.var}=${b.equals ?? ''}` : ''));
  add(n.silence?.next, 'silence');
  add(n.no_match?.next, 'no match');
  add(n.llm?.fallback, 'fallback');
  return out;
}

export const NODE_W = 170;
export const NODE_H = 56;

/** Places nodes without positions in columns by distance from the start node. */
export function layout(s: Script): Script {
  if (s.nodes.every((n) => n.x || n.y)) return s;
  const depth = new Map<string, number>();
  const queue: string[] = [];
  if (s.start) {
    depth.set(s.start, 0);
    queue.push(s.start);
  }
  const byId = new Map(s.nodes.map((n) => [n.id, n]));
  while (queue.length) {
    const id = queue.shift() as string;
    const n = byId.get(id);
    if (!n) continue;
    for (const e of edgesOf(n)) {
      if (!depth.has(e.to)) {
        depth.set(e.to, (depth.get(id) ?? 0) + 1);
        queue.push(e.to);
      }
    }
  }
  const rows = new Map<number, number>();
  // Nodes reached only through defaults or globals go in a column of their own at the end.
  const last = Math.max(0, ...depth.values()) + 1;
  const nodes = s.nodes.map((n) => {
    if (n.x || n.y) return n;
    const d = depth.get(n.id) ?? last;
    const r = rows.get(d) ?? 0;
    rows.set(d, r + 1);
    return { ...n, x: 40 + d * (NODE_W + 70), y: 40 + r * (NODE_H + 40) };
  });
  return { ...s, nodes };
}

/** A node id not used yet: n1, n2, … */
export function newNodeId(s: Script): string {
  const used = new Set(s.nodes.map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `n${i}`;
    if (!used.has(id)) return id;
  }
}

/** Variables a line may use: contact columns plus variables set by nodes. */
export function variablesOf(s: Script): string[] {
  const out = new Set(s.vars ?? []);
  for (const n of s.nodes) {
    if (n.type === 'dtmf' && n.var) out.add(n.var);
    for (const k of Object.keys(n.set_vars ?? {})) out.add(k);
  }
  return [...out];
}

export type DiffLine = { kind: ' ' | '+' | '-'; text: string };

/** Line diff (longest common subsequence) of two texts: what changed from a to b. */
export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  // Suffix LCS lengths, one row at a time kept in a flat array.
  const L = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * (m + 1) + j] = x[i] === y[j] ? (L[(i + 1) * (m + 1) + j + 1] ?? 0) + 1 : Math.max(L[(i + 1) * (m + 1) + j] ?? 0, L[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ kind: ' ', text: x[i] as string });
      i++;
      j++;
    } else if ((L[(i + 1) * (m + 1) + j] ?? 0) >= (L[i * (m + 1) + j + 1] ?? 0)) {
      out.push({ kind: '-', text: x[i++] as string });
    } else {
      out.push({ kind: '+', text: y[j++] as string });
    }
  }
  while (i < n) out.push({ kind: '-', text: x[i++] as string });
  while (j < m) out.push({ kind: '+', text: y[j++] as string });
  return out;
}

/** An empty script: what "new script" starts from. */
export function blankScript(name: string): Script {
  return { name, start: '', defaults: {}, nodes: [], grading: { rules: [], default: 'C' } };
}

/** Stable JSON for diffs (positions are layout, not content). */
export function contentJSON(s: Script): string {
  return JSON.stringify({ ...s, nodes: s.nodes.map(({ x: _x, y: _y, ...n }) => n) }, null, 2);
}
