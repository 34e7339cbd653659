// A drag handle between two panels: drag to resize, double-click or Enter to collapse/expand, arrow keys
// to resize by 16 px (a focusable separator, as ARIA describes one).

import { type PointerEvent, useRef } from 'react';
import { PANEL_LIMITS, type PanelName, setPanel, togglePanel, usePanels } from '../panels';

export function Splitter({
  panel,
  /** Which way dragging grows the panel: the pointer moving right/down (+1) or left/up (−1). */
  grows,
  label,
}: {
  panel: PanelName;
  grows: 1 | -1;
  label: string;
}) {
  const panels = usePanels();
  const state = panels[panel];
  const vertical = panel !== 'dock';
  const drag = useRef<{ start: number; size: number; moved: boolean } | null>(null);
  const limits = PANEL_LIMITS[panel];

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = {
      start: vertical ? e.clientX : e.clientY,
      size: state.open ? state.size : 0,
      moved: false,
    };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    const delta = ((vertical ? e.clientX : e.clientY) - d.start) * grows;
    if (Math.abs(delta) < 3 && !d.moved) return;
    d.moved = true;
    const size = d.size + delta;
    // Dragged below half its smallest size, a panel collapses; dragged out again, it opens.
    if (size < limits.min / 2) setPanel(panel, { open: false });
    else setPanel(panel, { open: true, size });
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot be dragged or focused; this is the ARIA "window splitter" pattern
    <div
      role="separator"
      tabIndex={0}
      aria-orientation={vertical ? 'vertical' : 'horizontal'}
      aria-label={label}
      aria-valuenow={state.open ? state.size : 0}
      aria-valuemin={0}
      aria-valuemax={limits.max}
      title={`${label}: drag to resize, double-click to ${state.open ? 'hide' : 'show'}`}
      data-testid={`splitter-${panel}`}
      className={`splitter ${vertical ? 'splitter-v' : 'splitter-h'}${state.open ? '' : ' closed'}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onDoubleClick={() => togglePanel(panel)}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 64 : 16;
        const grow = vertical
          ? e.key === 'ArrowRight'
            ? grows
            : e.key === 'ArrowLeft'
              ? -grows
              : 0
          : e.key === 'ArrowDown'
            ? grows
            : e.key === 'ArrowUp'
              ? -grows
              : 0;
        if (grow) {
          e.preventDefault();
          setPanel(panel, { open: true, size: (state.open ? state.size : limits.min) + grow * step });
        } else if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          togglePanel(panel);
        }
      }}
    />
  );
}
