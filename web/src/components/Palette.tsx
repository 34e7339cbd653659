// Every node type (GET /types), searchable: drag one onto the canvas, or press Enter / double-click to
// add it in the middle of the view. Hover shows the description and each port's description.

import { useReactFlow } from '@xyflow/react';
import { useMemo, useRef, useState } from 'react';
import type { NodeTypeInfo } from '../api';
import { addNode, claimedNames } from '../edits';
import { togglePanel } from '../panels';
import { measured } from '../patch';
import { type Position, store, useStore } from '../store';
import { matchesType, rankType } from '../type-search';
import { PALETTE_MIME } from './Editor';

/** Moves a new node's spot down-right until it covers no node already drawn, nor one still being added
 * (flow units). */
function freeSpot(spot: Position): Position {
  const { nodes, positions } = store.state;
  const width = 170;
  const height = 70;
  const taken = [...nodes.values()].flatMap((node) => {
    const p = positions[node.name];
    return p ? [{ ...p, ...measured(node) }] : [];
  });
  for (const name of claimedNames()) {
    const p = positions[name];
    if (p && !nodes.has(name)) taken.push({ ...p, width, height });
  }
  const at = { ...spot };
  for (let tries = 0; tries < 40; tries++) {
    const hit = taken.some(
      (r) => at.x < r.x + r.width && at.x + width > r.x && at.y < r.y + r.height && at.y + height > r.y,
    );
    if (!hit) break;
    at.x += 24;
    at.y += 36;
  }
  return at;
}

function portLine(p: NodeTypeInfo['inputs'][number]) {
  return `${p.name} (${p.kind}${p.unit ? `, ${p.unit}` : ''}): ${p.description}`;
}

export function Palette() {
  const types = useStore((s) => s.types);
  const [query, setQuery] = useState('');
  /** The highlighted entry (Enter adds it); null = the best match for the query. */
  const [chosen, setChosen] = useState<number | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const flow = useReactFlow();
  const list = useRef<HTMLUListElement>(null);

  const filtered = useMemo(
    () =>
      types
        .filter((t) => matchesType(t, query))
        .sort((a, b) => a.category.localeCompare(b.category) || a.type.localeCompare(b.type)),
    [types, query],
  );
  const best = useMemo(() => {
    let index = 0;
    filtered.forEach((info, i) => {
      if (rankType(info, query) < rankType(filtered[index], query)) index = i;
    });
    return index;
  }, [filtered, query]);
  const active = chosen ?? best;
  const setActive = (update: (i: number) => number) => setChosen(update(active));

  const add = (type: string) => {
    const rect = document.querySelector('.editor')?.getBoundingClientRect();
    const center = rect
      ? flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 })
      : { x: 0, y: 0 };
    addNode(type, freeSpot({ x: center.x - 85, y: center.y - 35 })).catch(() => undefined);
  };

  let category = '';
  return (
    <aside className="palette panel" aria-label="Node palette">
      <div className="palette-head">
        <input
          className="palette-search"
          type="search"
          placeholder="Search nodes…"
          aria-label="search node types"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setChosen(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setActive((i) => Math.min(filtered.length - 1, i + 1));
            else if (e.key === 'ArrowUp') setActive((i) => Math.max(0, i - 1));
            else if (e.key === 'Enter' && filtered[active]) add(filtered[active].type);
            else return;
            e.preventDefault();
          }}
        />
        <button
          type="button"
          className="icon-button"
          title="Hide the palette (double-click the canvas or press N to add nodes)"
          aria-label="hide the palette"
          data-testid="hide-palette"
          onClick={() => togglePanel('palette')}
        >
          ‹
        </button>
      </div>
      <ul className="palette-list" ref={list}>
        {filtered.map((info, index) => {
          const header = info.category !== category;
          category = info.category;
          return (
            <li key={info.type}>
              {header && <div className="palette-category">{info.category}</div>}
              {/* biome-ignore lint/a11y/noStaticElementInteractions: the drag source; its buttons carry the keyboard actions */}
              <div
                className={`palette-item cat-${info.category}${index === active && query ? ' active' : ''}`}
                draggable
                data-testid={`palette-${info.type}`}
                title={`${info.type}\n${info.description}${info.inputs.length ? `\n\nInputs:\n${info.inputs.map(portLine).join('\n')}` : ''}${info.outputs.length ? `\n\nOutputs:\n${info.outputs.map(portLine).join('\n')}` : ''}`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(PALETTE_MIME, info.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
              >
                <button
                  type="button"
                  className="palette-type"
                  aria-expanded={expanded === info.type}
                  onDoubleClick={() => add(info.type)}
                  onClick={() => {
                    setChosen(index);
                    setExpanded((x) => (x === info.type ? null : info.type));
                  }}
                >
                  {info.type.replace(/Node$/, '')}
                </button>
                <button
                  type="button"
                  className="palette-add"
                  title={`Add ${info.type}`}
                  aria-label={`add ${info.type}`}
                  onClick={() => add(info.type)}
                >
                  +
                </button>
              </div>
              {expanded === info.type && (
                <div className="palette-details">
                  <p>{info.description}</p>
                  {[
                    ...info.inputs.map((p) => ({ ...p, dir: 'in' })),
                    ...info.outputs.map((p) => ({ ...p, dir: 'out' })),
                  ].map((p) => (
                    <div key={`${p.dir}-${p.name}`} className="palette-port" title={p.description}>
                      <span className={`dot kind-${p.kind}`} />
                      <span className="palette-port-name">
                        {p.dir === 'in' ? '→ ' : ''}
                        {p.name}
                        {p.dir === 'out' ? ' →' : ''}
                      </span>
                      <span className="palette-port-desc">{p.description}</span>
                    </div>
                  ))}
                </div>
              )}
            </li>
          );
        })}
        {!filtered.length && <li className="palette-none">{types.length ? 'No match' : 'Loading types…'}</li>}
      </ul>
    </aside>
  );
}
