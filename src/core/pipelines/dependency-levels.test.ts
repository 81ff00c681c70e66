import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dependencyLevels, findCycles } from './dependency-levels.js';

/** A random DAG: node i may need only nodes before it. */
const dag = fc
  .integer({ min: 1, max: 30 })
  .chain((size) =>
    fc.tuple(
      ...Array.from({ length: size }, (_, index) =>
        fc.subarray(Array.from({ length: index }, (_, need) => `n${need}`)),
      ),
    ),
  )
  .map((needsPerNode) => needsPerNode.map((needs, index) => ({ name: `n${index}`, needs })));

describe('dependencyLevels', () => {
  it('puts the issue example in four levels', () => {
    const levels = dependencyLevels({
      nodes: [
        { name: 'fetch', needs: [] },
        { name: 'prep-a', needs: ['fetch'] },
        { name: 'prep-b', needs: ['fetch'] },
        { name: 'train', needs: ['prep-a', 'prep-b'] },
        { name: 'report', needs: ['train'] },
      ] as never,
    });
    expect([...levels]).toEqual([
      ['fetch', 0],
      ['prep-a', 1],
      ['prep-b', 1],
      ['train', 2],
      ['report', 3],
    ]);
  });

  it('gives each node one more than the highest level it needs (0 with no needs), in node order', () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        const levels = dependencyLevels({ nodes: nodes as never });
        expect([...levels.keys()]).toEqual(nodes.map((node) => node.name));
        for (const node of nodes) {
          const expected = Math.max(-1, ...node.needs.map((need) => levels.get(need) ?? NaN)) + 1;
          expect(levels.get(node.name)).toBe(expected);
        }
      }),
    );
  });
});

describe('findCycles', () => {
  it('finds none in a DAG', () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        expect(findCycles(nodes)).toEqual([]);
      }),
    );
  });

  it('finds a cycle whenever a back edge is added, and each one it names is a real cycle', () => {
    fc.assert(
      fc.property(
        dag.filter((nodes) => nodes.length >= 2),
        fc.nat(),
        fc.nat(),
        (nodes, a, b) => {
          // n_low needs n_high closes a cycle when n_high reaches n_low: add the chain too.
          const low = a % (nodes.length - 1);
          const high = low + 1 + (b % (nodes.length - 1 - low));
          const graph = nodes.map((node) => ({ ...node, needs: [...node.needs] }));
          graph[high]?.needs.push(`n${low}`);
          graph[low]?.needs.push(`n${high}`);
          const cycles = findCycles(graph);
          expect(cycles.length).toBeGreaterThan(0);
          const needsOf = new Map(graph.map((node) => [node.name, node.needs]));
          for (const { path, needIndex } of cycles) {
            expect(path[0]).toBe(path.at(-1));
            for (let step = 0; step + 1 < path.length; step++) {
              expect(needsOf.get(path[step] ?? '')).toContain(path[step + 1]);
            }
            expect(needsOf.get(path.at(-2) ?? '')?.[needIndex]).toBe(path.at(-1));
          }
        },
      ),
    );
  });
});
