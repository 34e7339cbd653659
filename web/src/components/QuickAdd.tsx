// Quick-add: a search box at the pointer (double-click the canvas, press N, or drop a cable on empty
// canvas); Enter adds the highlighted type there — linked to the dropped cable's output when there is one.

import { useMemo, useState } from 'react';
import type { NodeTypeInfo } from '../api';
import { useStore } from '../store';
import { searchTypes } from '../type-search';

export function QuickAdd({
  x,
  y,
  hint,
  filter,
  onPick,
  onClose,
}: {
  /** Screen position of the box. */
  x: number;
  y: number;
  /** What the new node will be linked to, if anything. */
  hint?: string;
  /** Only types that fit (e.g. have an input the dropped cable can feed). */
  filter?: (info: NodeTypeInfo) => boolean;
  onPick(type: string): void;
  onClose(): void;
}) {
  const types = useStore((s) => s.types);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const found = useMemo(
    () => searchTypes(filter ? types.filter(filter) : types, query).slice(0, 12),
    [types, query, filter],
  );
  const left = Math.max(4, Math.min(x, window.innerWidth - 280));
  const top = Math.max(4, Math.min(y, window.innerHeight - 320));
  return (
    <div className="quick-add" style={{ left, top }} data-testid="quick-add">
      <input
        // biome-ignore lint/a11y/noAutofocus: opened on purpose, to type into at once
        autoFocus
        className="quick-add-input"
        placeholder={hint ? `Add a node (${hint})…` : 'Add a node…'}
        aria-label="add a node: search types"
        role="combobox"
        aria-expanded="true"
        aria-controls="quick-add-list"
        aria-activedescendant={found[active] ? `quick-add-${found[active].type}` : undefined}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onBlur={() => setTimeout(onClose, 120)}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'ArrowDown') setActive((i) => Math.min(found.length - 1, i + 1));
          else if (e.key === 'ArrowUp') setActive((i) => Math.max(0, i - 1));
          else if (e.key === 'Enter' && found[active]) onPick(found[active].type);
          else if (e.key === 'Escape') onClose();
          else return;
          e.preventDefault();
        }}
      />
      <div className="quick-add-list" id="quick-add-list" role="listbox" aria-label="node types">
        {found.map((info, i) => (
          <div
            key={info.type}
            tabIndex={-1}
            id={`quick-add-${info.type}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : ''}
            onMouseEnter={() => setActive(i)}
            onMouseDown={(e) => {
              e.preventDefault();
              onPick(info.type);
            }}
          >
            <span className={`dot cat-dot cat-${info.category}`} />
            <span className="quick-add-type">{info.type.replace(/Node$/, '')}</span>
            <span className="quick-add-desc">{info.description}</span>
          </div>
        ))}
        {!found.length && <div className="quick-add-none">No type matches</div>}
      </div>
    </div>
  );
}
