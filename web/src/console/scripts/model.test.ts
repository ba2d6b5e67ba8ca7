import { describe, expect, it } from 'vitest';
import type { Script } from '../../api/scripts';
import { blankScript, diffLines, edgesOf, layout, newNodeId, variablesOf } from './model';

const s: Script = {
  ...blankScript('t'),
  start: 'a',
  vars: ['name'],
  nodes: [
    { id: 'a', type: 'say', text: 'hi ${name}', next: 'b' },
    { id: 'b', type: 'listen', branches: [{ intents: ['affirm'], next: 'c' }], no_match: { lines: [], next: 'c' } },
    { id: 'c', type: 'hangup' },
    { id: 'd', type: 'dtmf', var: 'score', next: 'c' },
  ],
};

describe('script model', () => {
  it('finds edges', () => {
    expect(edgesOf(s.nodes[1]!)).toEqual([
      { from: 'b', to: 'c', label: 'affirm' },
      { from: 'b', to: 'c', label: 'no match' },
    ]);
  });
  it('lays out by depth', () => {
    const l = layout(s);
    expect(l.nodes[0]!.x).toBeLessThan(l.nodes[1]!.x!);
    expect(l.nodes[1]!.x).toBeLessThan(l.nodes[2]!.x!);
    // d is not reachable from the start: it goes after the deepest column.
    expect(l.nodes[3]!.x).toBeGreaterThan(l.nodes[2]!.x!);
  });
  it('makes new ids and lists variables', () => {
    expect(newNodeId(s)).toBe('n1');
    expect(variablesOf(s)).toEqual(['name', 'score']);
  });
  it('diffs lines', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc')).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: '+', text: 'x' },
      { kind: ' ', text: 'c' },
    ]);
  });
});
