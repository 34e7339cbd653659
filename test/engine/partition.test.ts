import { describe, expect, it } from 'vitest';
import { MAIN, type PlacementLink, type PlacementNode, placeNodes } from '../../src/engine/partition.js';

const node = (name: string, movable = true, owner?: number): PlacementNode => ({
  name,
  movable,
  owner,
  cost: 1,
});
const link = (source: string, sink: string, stream = true): PlacementLink => ({ source, sink, stream });

/** Two chains a→b and c→d into a pinned `play`. */
const twoChains = {
  nodes: [node('play', false), node('a'), node('b'), node('c'), node('d')],
  links: [link('a', 'b'), link('b', 'play'), link('c', 'd'), link('d', 'play')],
};

describe('placeNodes: which thread renders which node', () => {
  it('puts two chains that meet only at a pinned node on two threads, the pinned node on the main renderer', () => {
    const owners = placeNodes(twoChains.nodes, twoChains.links, {
      threads: 2,
      load: [0, 0],
      minPartCost: 1,
    })!;
    expect(owners.get('play')).toBe(MAIN);
    expect(owners.get('a')).toBe(owners.get('b'));
    expect(owners.get('c')).toBe(owners.get('d'));
    expect(new Set([owners.get('a'), owners.get('c')])).toEqual(new Set([0, 1]));
  });

  it('keeps parts cheaper than minPartCost in the main plan itself', () => {
    const load = [0, 0];
    const owners = placeNodes(twoChains.nodes, twoChains.links, { threads: 2, load, minPartCost: 3 })!;
    expect(owners.get('a')).toBe(MAIN);
    expect(owners.get('c')).toBe(MAIN);
    expect(load).toEqual([0, 0]);
  });

  it('keeps on the main renderer a chain a pinned node feeds, one with a cycle, and one sending data out', () => {
    const nodes = [
      node('midi', false),
      node('play', false),
      node('a'),
      node('b'),
      node('c'),
      node('d'),
      node('e'),
    ];
    const links = [
      link('midi', 'a'),
      link('a', 'play'),
      link('b', 'c'),
      link('c', 'b'),
      link('c', 'play'),
      link('d', 'e'),
      link('e', 'play', false),
    ];
    const owners = placeNodes(nodes, links, { threads: 4, load: [0, 0, 0, 0], minPartCost: 1 })!;
    for (const name of ['a', 'b', 'c', 'd', 'e']) expect(owners.get(name), name).toBe(MAIN);
  });

  it('keeps a batch that gives no worker a part in the main plan, its cost counted on the main thread', () => {
    const oneChain = { nodes: twoChains.nodes.slice(0, 3), links: twoChains.links.slice(0, 2) };
    const load = [0, 0];
    const owners = placeNodes(oneChain.nodes, oneChain.links, { threads: 2, load, minPartCost: 1 })!;
    expect(owners.get('a')).toBe(MAIN);
    expect(owners.get('b')).toBe(MAIN);
    expect(load).toEqual([2, 0]);
    // The next batch's chain goes to the worker, as the main thread already carries the first.
    const placed = twoChains.nodes.map((n) => ({ ...n, owner: owners.get(n.name) }));
    const next = placeNodes(placed, twoChains.links, { threads: 2, load, minPartCost: 1 })!;
    expect(next.get('a')).toBe(MAIN);
    expect(next.get('c')).toBe(1);
    expect(next.get('d')).toBe(1);
  });

  it('keeps placed nodes where they are and adds a new node to the part it joins', () => {
    const nodes = [node('play', false, MAIN), node('a', true, 1), node('b', true, 1), node('x')];
    const links = [link('a', 'b'), link('b', 'play'), link('x', 'a')];
    const owners = placeNodes(nodes, links, { threads: 2, load: [0, 2], minPartCost: 1 })!;
    expect(owners.get('x')).toBe(1);
    expect(owners.get('a')).toBe(1);
  });

  it('refuses a batch that joins parts of two threads, or makes the main renderer feed a part', () => {
    const nodes = [node('play', false, MAIN), node('a', true, 0), node('c', true, 1)];
    expect(placeNodes(nodes, [link('a', 'c')], { threads: 2, load: [1, 1], minPartCost: 1 })).toBeNull();
    const fed = [node('lfo', true, MAIN), node('a', true, 1)];
    expect(placeNodes(fed, [link('lfo', 'a')], { threads: 2, load: [0, 1], minPartCost: 1 })).toBeNull();
  });

  it('balances by cost: the largest part first, each to the least loaded thread', () => {
    const nodes: PlacementNode[] = [node('play', false)];
    const links: PlacementLink[] = [];
    for (const [part, size] of [
      ['p', 3],
      ['q', 2],
      ['r', 2],
    ] as const) {
      for (let i = 0; i < size; i++) {
        nodes.push(node(`${part}${i}`));
        links.push(link(`${part}${i}`, i + 1 < size ? `${part}${i + 1}` : 'play'));
      }
    }
    const load = [0, 0];
    const owners = placeNodes(nodes, links, { threads: 2, load, minPartCost: 1 })!;
    expect(owners.get('p0')).toBe(0);
    expect(owners.get('q0')).toBe(1);
    expect(owners.get('r0')).toBe(1);
    expect(load).toEqual([3, 4]);
  });
});
