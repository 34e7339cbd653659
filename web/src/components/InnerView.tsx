// The inside of a PatchNode or VoicesNode (inner-patch.ts), drawn over the main canvas: a breadcrumb
// ("Graph › poly (subtractive.syn) › …") whose crumbs lead back, a note saying the view is read-only and
// how to change the patch, and the file's graph — its nodes, inlets, outlets and cables — laid out from
// the file's .sui positions when it has them, else by the editor's automatic layout. A patch node inside
// opens one level further (double-click or its menu); Escape goes back one level, the first crumb to the
// main graph, whose canvas stayed mounted underneath (view, selection and meters as they were).
//
// A React Flow of its own (its own provider): nothing here can reach the main graph's flow or the API's
// edit routes; the nodes are drawn by SynthNode in its read-only mode.

import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  type Edge,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import { type MouseEvent as ReactMouseEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { parseSui } from '../../../src/lang/sui.js';
import type { ApiNode } from '../api';
import {
  closeInnerLevels,
  type InnerLevel,
  innerLevels,
  openNestedPatch,
  refreshInnerPatch,
  useInnerLevels,
} from '../inner-patch';
import { placeMissing } from '../layout';
import { isPatchNodeType, nestedPatchPath } from '../node-hooks';
import type { Position } from '../store';
import { connectionKey, store, useStore } from '../store';
import { CanvasRail } from './CanvasRail';
import { ContextMenu, type MenuEntry } from './ContextMenu';
import { fitInBox, isTyping } from './Editor';
import { kindOf, type SynthFlowNode, SynthNode } from './SynthNode';

const nodeTypes = { synth: SynthNode };

/** A crumb's text: the node and the file it is the inside of. */
export function crumbLabel(level: Pick<InnerLevel, 'node' | 'path'>): string {
  return `${level.node} (${level.path})`;
}

export function InnerView({ theme }: { theme: 'light' | 'dark' }) {
  const levels = useInnerLevels();
  const box = useRef<HTMLDivElement>(null);
  const depth = levels.length;
  const level = levels[depth - 1];

  // Escape goes back one level (not while typing, nor while a dialog or menu takes the key).
  useEffect(() => {
    if (!depth) return;
    const keys = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || isTyping(e.target)) return;
      if (document.querySelector('.dialog-backdrop, .context-menu, .quick-add')) return;
      e.preventDefault();
      closeInnerLevels(depth - 1);
    };
    window.addEventListener('keydown', keys);
    return () => window.removeEventListener('keydown', keys);
  }, [depth]);

  // The file may have been edited meanwhile (in another window): read it again when this window comes
  // back to the front, and when the main graph's node changes (a reload gives it new ports).
  // Its ports and file, not the node itself: a VoicesNode's exports change ten times a second as it plays.
  const outer = useStore((s) => {
    const node = levels[0] ? s.nodes.get(levels[0].node) : undefined;
    if (!node) return '';
    const ports = [...node.inputs, ...node.outputs].map((p) => p.port_name).join(',');
    return `${ports}|${String(node.exports.Patch)}`;
  });
  useEffect(() => {
    if (outer) void refreshInnerPatch();
  }, [outer]);
  useEffect(() => {
    if (!depth) return;
    const again = () => void refreshInnerPatch();
    window.addEventListener('focus', again);
    return () => window.removeEventListener('focus', again);
  }, [depth]);

  // Focus follows the view in and back out, so keys go where the eyes are.
  useEffect(() => {
    if (depth) box.current?.focus({ preventScroll: true });
  }, [depth]);

  if (!level) return null;
  return (
    <section
      ref={box}
      className="inner-view"
      data-testid="inner-view"
      aria-label={`Inside ${level.path}, read-only`}
      tabIndex={-1}
    >
      <header className="inner-bar">
        <nav className="breadcrumb" aria-label="Patch levels" data-testid="breadcrumb">
          <ol>
            <li>
              <button
                type="button"
                className="crumb"
                title="Back to the main graph (Escape from the first level)"
                data-testid="crumb-0"
                onClick={() => closeInnerLevels(0)}
              >
                Graph
              </button>
            </li>
            {levels.map((l, i) => (
              <li key={`${l.path}>${l.node}`}>
                <span className="crumb-separator" aria-hidden="true">
                  ›
                </span>
                {i === depth - 1 ? (
                  <span className="crumb current" aria-current="page" data-testid={`crumb-${i + 1}`}>
                    {crumbLabel(l)}
                  </span>
                ) : (
                  <button
                    type="button"
                    className="crumb"
                    data-testid={`crumb-${i + 1}`}
                    onClick={() => closeInnerLevels(i + 1)}
                  >
                    {crumbLabel(l)}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </nav>
        <ReadOnlyNote level={level} />
      </header>
      {/* A provider per level: each opens with its own fitted view. */}
      <ReactFlowProvider key={`${depth}:${level.path}:${level.node}`}>
        <InnerCanvas level={level} theme={theme} />
      </ReactFlowProvider>
    </section>
  );
}

function ReadOnlyNote({ level }: { level: InnerLevel }) {
  const { view } = level;
  const includes = view.files.length > 1 ? ` It includes ${view.files.slice(1).join(', ')}.` : '';
  return (
    <p className="inner-note" role="note" data-testid="inner-note">
      <strong>Read-only</strong>: the inside of <code>{view.path}</code>, as every instance plays it (
      {view.inlets.length} inlets, {view.outlets.length} outlets, {view.nodes.length} nodes).{includes} To
      change it, edit <code>{view.path}</code> in a text editor and save — every instance follows (the server
      watches the file; or type <code>reload</code>).{' '}
      <button
        type="button"
        className="link-button"
        data-testid="copy-inner-script"
        onClick={() => {
          navigator.clipboard?.writeText(view.script).then(
            () => store.showToast(`Copied the script of ${view.path}.`, 'info'),
            () => store.showToast(`Could not copy the script of ${view.path}.`),
          );
        }}
      >
        Copy its script
      </button>
      <span className="inner-escape"> · Esc: back</span>
    </p>
  );
}

/** Where each inner node is drawn: the file's .sui positions, the automatic layout for the rest. */
function innerPositions(level: InnerLevel): Record<string, Position> {
  const { nodes, connections, script } = level.view;
  const saved = parseSui(script).positions ?? {};
  const placed: Record<string, Position> = {};
  for (const node of nodes) {
    const p = saved[node.name];
    if (p) placed[node.name] = { x: p.x, y: p.y };
  }
  return { ...placed, ...placeMissing(nodes, connections, placed) };
}

function InnerCanvas({ level, theme }: { level: InnerLevel; theme: 'light' | 'dark' }) {
  const flow = useReactFlow();
  const canvasRef = useRef<HTMLDivElement>(null);
  const types = useStore((s) => s.types);
  const [menu, setMenu] = useState<{ x: number; y: number; items: MenuEntry[]; label: string } | null>(null);
  const { view } = level;
  const positions = useMemo(() => innerPositions(level), [level]);
  const [flowNodes, setFlowNodes] = useState<SynthFlowNode[]>([]);

  useEffect(() => {
    const typeInfo = new Map(types.map((t) => [t.type, t]));
    setFlowNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      return view.nodes.map(
        (node): SynthFlowNode => ({
          ...byId.get(node.name),
          id: node.name,
          type: 'synth',
          position: positions[node.name] ?? { x: 0, y: 0 },
          data: {
            node,
            info: typeInfo.get(node.type),
            watched: [],
            faulted: false,
            range: null,
            readOnly: true,
          },
        }),
      );
    });
  }, [view, positions, types]);

  const edges = useMemo<Edge[]>(
    () =>
      view.connections.map((c) => {
        const source = view.nodes.find((n) => n.name === c.source.node_name);
        const output = source?.outputs.find((o) => o.port_name === c.source.port_name);
        return {
          id: connectionKey(c),
          source: c.source.node_name,
          sourceHandle: c.source.port_name,
          target: c.sink.node_name,
          targetHandle: c.sink.port_name,
          className: `edge kind-${output ? kindOf(output.type) : 'stream'}`,
        };
      }),
    [view],
  );

  const fit = useCallback(() => fitInBox(flow, canvasRef.current), [flow]);

  // Fitted once every node has been measured (their sizes decide the bounds).
  const fitted = useRef(false);
  useEffect(() => {
    if (fitted.current || !flowNodes.length || !flowNodes.every((n) => n.measured)) return;
    fitted.current = true;
    setTimeout(fit, 30);
  }, [flowNodes, fit]);

  const open = useCallback((node: ApiNode) => {
    setMenu(null);
    void openNestedPatch(node);
  }, []);

  const nodeMenu = useCallback(
    (event: ReactMouseEvent, name: string) => {
      event.preventDefault();
      const node = view.nodes.find((n) => n.name === name);
      if (!node) return;
      const nested = isPatchNodeType(node.type) ? nestedPatchPath(node, view.nodes) : null;
      const items: MenuEntry[] = [
        ...(nested
          ? [{ label: `Open inner patch (${nested})`, shortcut: 'dbl-click', action: () => open(node) }]
          : []),
        { label: `Read-only: edit ${view.path} to change ${name}`, disabled: true, action: () => undefined },
        'separator',
        { label: 'Back', shortcut: 'Esc', action: back },
      ];
      setMenu({ x: event.clientX, y: event.clientY, items, label: `node ${name} (read-only)` });
    },
    [view, open],
  );

  const paneMenu = useCallback(
    (event: ReactMouseEvent | MouseEvent) => {
      event.preventDefault();
      setMenu({
        x: event.clientX,
        y: event.clientY,
        label: 'inner canvas',
        items: [
          { label: 'Fit to view', action: fit },
          { label: 'Back', shortcut: 'Esc', action: back },
          { label: 'Back to the main graph', action: () => closeInnerLevels(0) },
        ],
      });
    },
    [fit],
  );

  return (
    <div className="inner-body">
      <CanvasRail fit={fit} />
      <div className="editor inner-canvas" ref={canvasRef} data-testid="inner-canvas">
        <ReactFlow<SynthFlowNode, Edge>
          nodes={flowNodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={(changes) => {
            // Only what React Flow measures and selects: nothing moves or goes away here.
            const kept = changes.filter((c) => c.type === 'dimensions' || c.type === 'select');
            if (kept.length) setFlowNodes((previous) => applyNodeChanges(kept, previous));
          }}
          onNodeDoubleClick={(_e, flowNode) => {
            const node = view.nodes.find((n) => n.name === flowNode.id);
            if (node && isPatchNodeType(node.type)) open(node);
          }}
          onNodeContextMenu={(e, node) => nodeMenu(e, node.id)}
          onPaneContextMenu={paneMenu}
          nodesDraggable={false}
          nodesConnectable={false}
          edgesFocusable={false}
          deleteKeyCode={null}
          selectionKeyCode={null}
          panOnDrag
          panOnScroll
          zoomOnDoubleClick={false}
          minZoom={0.1}
          maxZoom={3}
          proOptions={{ hideAttribution: true }}
          colorMode={theme}
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
        </ReactFlow>
        {menu && <ContextMenu {...menu} onClose={() => setMenu(null)} />}
      </div>
    </div>
  );
}

/** Back one level from the deepest open. */
function back() {
  closeInnerLevels(Math.max(0, innerLevels().length - 1));
}
