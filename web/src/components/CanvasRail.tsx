// The canvas's zoom controls, in a strip of their own beside it (never over a node).

import { useReactFlow, useViewport } from '@xyflow/react';
import { canvas } from './Editor';

/** `fit`: what the fit button does (default: the main canvas's readable fit). */
export function CanvasRail({ fit }: { fit?: () => void } = {}) {
  const flow = useReactFlow();
  const { zoom } = useViewport();
  return (
    <nav className="canvas-rail" aria-label="Canvas view">
      <button
        type="button"
        title="Zoom in"
        aria-label="zoom in"
        onClick={() => flow.zoomIn({ duration: 120 })}
      >
        +
      </button>
      <button
        type="button"
        className="zoom-level"
        title="Zoom to 100 %"
        aria-label="zoom to 100 percent"
        data-testid="zoom-level"
        onClick={() => flow.zoomTo(1, { duration: 120 })}
      >
        {Math.round(zoom * 100)}%
      </button>
      <button
        type="button"
        title="Zoom out"
        aria-label="zoom out"
        onClick={() => flow.zoomOut({ duration: 120 })}
      >
        −
      </button>
      <button
        type="button"
        title="Fit the graph in view"
        aria-label="fit view"
        data-testid="fit-view"
        onClick={() => (fit ?? canvas.fit)()}
      >
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <path d="M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4" />
        </svg>
      </button>
    </nav>
  );
}
