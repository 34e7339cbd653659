// Every node type (GET /types), searchable: drag one onto the canvas, or press Enter / double-click to
// add it in the middle of the view. Hover shows the description and each port's description.

import { useReactFlow } from '@xyflow/react';
import { useMemo, useRef, useState } from 'react';
import type { NodeTypeInfo } from '../api';
import { addNode } from '../edits';
import { useStore } from '../store';
import { PALETTE_MIME } from './Editor';

function matches(info: NodeTypeInfo, query: string) {
  if (!query) return true;
  const q = query.toLowerCase();
  return (
    info.type.toLowerCase().includes(q) ||
    info.category.toLowerCase().includes(q) ||
    info.description.toLowerCase().includes(q)
  );
}

function portLine(p: NodeTypeInfo['inputs'][number]) {
  return `${p.name} (${p.kind}${p.unit ? `, ${p.unit}` : ''}): ${p.description}`;
}

export function Palette() {
  const types = useStore((s) => s.types);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const flow = useReactFlow();
  const list = useRef<HTMLUListElement>(null);

  const filtered = useMemo(
    () =>
      types
        .filter((t) => matches(t, query))
        .sort((a, b) => a.category.localeCompare(b.category) || a.type.localeCompare(b.type)),
    [types, query],
  );

  const add = (type: string) => {
    const rect = document.querySelector('.editor')?.getBoundingClientRect();
    const center = rect
      ? flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 })
      : { x: 0, y: 0 };
    const jitter = () => (Math.random() - 0.5) * 60;
    addNode(type, { x: center.x - 80 + jitter(), y: center.y - 30 + jitter() }).catch(() => undefined);
  };

  let category = '';
  return (
    <aside className="palette panel" aria-label="Node palette">
      <input
        className="palette-search"
        type="search"
        placeholder="Search nodes…"
        aria-label="search node types"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((i) => Math.min(filtered.length - 1, i + 1));
          else if (e.key === 'ArrowUp') setActive((i) => Math.max(0, i - 1));
          else if (e.key === 'Enter' && filtered[active]) add(filtered[active].type);
          else return;
          e.preventDefault();
        }}
      />
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
                    setActive(index);
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
