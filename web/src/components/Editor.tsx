// The graph canvas (React Flow): the live graph drawn from the store; every gesture becomes an API edit.

import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  type Connection,
  ConnectionLineType,
  Controls,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  MiniMap,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiConnection } from '../api';
import { addNode, link, recordMove, removeNodes, unlink } from '../edits';
import { placeMissing } from '../layout';
import { measured } from '../patch';
import { connectionKey, type Position, store, useStore } from '../store';
import { kindOf, type SynthFlowNode, SynthNode } from './SynthNode';

const nodeTypes = { synth: SynthNode };
export const PALETTE_MIME = 'application/x-synchrotron-type';
/** Lowest zoom an automatic fit goes to; below it node text (11 px) becomes too small to read. */
export const READABLE_ZOOM = 0.7;
const FIT_PADDING = 0.12;

/** Link rule of SPEC §1: MIDI only with MIDI; stream and data mix freely. */
export function kindsFit(outputType: string, inputType: string) {
  return (kindOf(outputType) === 'midi') === (kindOf(inputType) === 'midi');
}

export function Editor({ theme }: { theme: 'light' | 'dark' }) {
  const nodes = useStore((s) => s.nodes);
  const connections = useStore((s) => s.connections);
  const positions = useStore((s) => s.positions);
  const types = useStore((s) => s.types);
  const watched = useStore((s) => s.watched);
  const log = useStore((s) => s.log);
  const flow = useReactFlow();
  useEffect(() => {
    store.measure = (name) => {
      const size = flow.getNode(name)?.measured;
      return size?.width && size.height ? { width: size.width, height: size.height } : undefined;
    };
    return () => {
      store.measure = null;
    };
  }, [flow]);
  const [flowNodes, setFlowNodes] = useState<SynthFlowNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  const dragStart = useRef<Record<string, Position>>({});
  const fitRequest = useStore((s) => s.fitRequest);
  const fitted = useRef(0);

  const faulted = useMemo(() => {
    const set = new Set<string>();
    for (const entry of log) if (entry.kind === 'fault' && entry.node) set.add(entry.node);
    return set;
  }, [log]);

  // Nodes without a position (made by the console, another client, a .syn file) get one.
  useEffect(() => {
    const missing = placeMissing([...nodes.values()], connections, positions, measured);
    if (Object.keys(missing).length) store.setPositions(missing);
  }, [nodes, connections, positions]);

  // Store → flow nodes, keeping React Flow's own fields (measured size, selection, dragging).
  useEffect(() => {
    const typeInfo = new Map(types.map((t) => [t.type, t]));
    setFlowNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      return [...nodes.values()].map((node): SynthFlowNode => {
        const old = byId.get(node.name);
        const watchedPorts = watched.filter((p) => p.node_name === node.name).map((p) => p.port_name);
        return {
          ...old,
          id: node.name,
          type: 'synth',
          position: old?.dragging ? old.position : (positions[node.name] ?? old?.position ?? { x: 0, y: 0 }),
          data: {
            node,
            info: typeInfo.get(node.type),
            watched: watchedPorts,
            faulted: faulted.has(node.name),
          },
        };
      });
    });
  }, [nodes, positions, types, watched, faulted]);

  const editorRef = useRef<HTMLDivElement>(null);
  /** True once the user pans or zooms: from then on a window resize leaves the view alone. */
  const userMoved = useRef(false);

  /**
   * Fits the graph in view, but never below a zoom where node text is still readable (11 px × 0.7 ≈ 8 px):
   * a graph too big for that shows its beginning (top left, where the signal flow starts); the minimap
   * and the fit button show the rest.
   */
  const fitReadable = useCallback(() => {
    const box = editorRef.current?.getBoundingClientRect();
    const drawn = flow.getNodes();
    if (!box?.width || !box.height || !drawn.length) return;
    const bounds = flow.getNodesBounds(drawn);
    const fitZoom = Math.min(
      box.width / (bounds.width * (1 + 2 * FIT_PADDING)),
      box.height / (bounds.height * (1 + 2 * FIT_PADDING)),
    );
    if (fitZoom >= READABLE_ZOOM) {
      void flow.fitView({ padding: FIT_PADDING, maxZoom: 1.6, duration: 200 });
      return;
    }
    const zoom = READABLE_ZOOM;
    const margin = 24;
    // Centred along an axis that fits, started at the top/left along one that does not.
    const x =
      bounds.width * zoom <= box.width - 2 * margin
        ? (box.width - bounds.width * zoom) / 2 - bounds.x * zoom
        : margin - bounds.x * zoom;
    const y =
      bounds.height * zoom <= box.height - 2 * margin
        ? (box.height - bounds.height * zoom) / 2 - bounds.y * zoom
        : margin - bounds.y * zoom;
    void flow.setViewport({ x, y, zoom }, { duration: 200 });
  }, [flow]);

  useEffect(() => {
    if (fitted.current === fitRequest || !flowNodes.length) return;
    if (!flowNodes.every((n) => n.measured && positions[n.id])) return;
    fitted.current = fitRequest;
    userMoved.current = false;
    // After React Flow has taken the new positions in (they reach it one render later).
    setTimeout(fitReadable, 80);
  }, [flowNodes, fitReadable, fitRequest, positions]);

  // A resized window (or a rotated tablet) refits, unless the user has placed the view themselves.
  useEffect(() => {
    const element = editorRef.current;
    if (!element) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!userMoved.current) fitReadable();
      }, 120);
    });
    observer.observe(element);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, [fitReadable]);

  const edges = useMemo<Edge[]>(
    () =>
      connections.map((c) => {
        const output = nodes.get(c.source.node_name)?.outputs.find((o) => o.port_name === c.source.port_name);
        const kind = output ? kindOf(output.type) : 'stream';
        const id = connectionKey(c);
        return {
          id,
          source: c.source.node_name,
          sourceHandle: c.source.port_name,
          target: c.sink.node_name,
          targetHandle: c.sink.port_name,
          className: `edge kind-${kind}`,
          selected: selectedEdges.has(id),
          data: { connection: c },
        };
      }),
    [connections, nodes, selectedEdges],
  );

  // Deletions become API edits (see onDelete); the drawing follows the server's pushes.
  const onNodesChange = useCallback((changes: NodeChange<SynthFlowNode>[]) => {
    const rest = changes.filter((c) => c.type !== 'remove');
    if (rest.length) setFlowNodes((previous) => applyNodeChanges(rest, previous));
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setSelectedEdges((previous) => {
      const next = new Set(previous);
      for (const change of changes) {
        if (change.type === 'select') {
          if (change.selected) next.add(change.id);
          else next.delete(change.id);
        }
      }
      return next;
    });
  }, []);

  /** One Delete = one undoable edit: the nodes (their connections go with them), else the edges. */
  const onDelete = useCallback(({ nodes: gone, edges: cut }: { nodes: SynthFlowNode[]; edges: Edge[] }) => {
    const names = new Set(gone.map((n) => n.id));
    if (names.size) {
      removeNodes([...names]).catch(() => undefined);
      return;
    }
    const connections = cut.map((e) => (e.data as { connection: ApiConnection }).connection);
    if (connections.length) unlink(connections).catch(() => undefined);
  }, []);

  const portTypes = useCallback(
    (c: Connection | Edge) => {
      const output = nodes.get(c.source)?.outputs.find((o) => o.port_name === c.sourceHandle);
      const input = nodes.get(c.target)?.inputs.find((i) => i.port_name === c.targetHandle);
      return { output, input };
    },
    [nodes],
  );

  const isValidConnection = useCallback(
    (c: Connection | Edge) => {
      const { output, input } = portTypes(c);
      return !!output && !!input && kindsFit(output.type, input.type);
    },
    [portTypes],
  );

  const onConnect = useCallback((c: Connection) => {
    if (!c.sourceHandle || !c.targetHandle) return;
    link({
      source: { node_name: c.source, port_name: c.sourceHandle },
      sink: { node_name: c.target, port_name: c.targetHandle },
    }).catch(() => undefined);
  }, []);

  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (!state.toHandle || state.isValid || !state.fromHandle) return;
      const from = state.fromHandle;
      const to = state.toHandle;
      if (from.type === to.type) {
        store.showToast(`Refused: connect an output (right) to an input (left).`);
        return;
      }
      const out = from.type === 'source' ? from : to;
      const inp = from.type === 'source' ? to : from;
      const { output, input } = portTypes({
        source: out.nodeId,
        sourceHandle: out.id ?? null,
        target: inp.nodeId,
        targetHandle: inp.id ?? null,
      });
      if (output && input) {
        store.showToast(
          `Refused: ${out.nodeId}.${out.id} is ${kindOf(output.type)} and ${inp.nodeId}.${inp.id} is ${kindOf(input.type)} — MIDI ports link only to MIDI ports.`,
        );
      }
    },
    [portTypes],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addNode(type, { x: position.x - 80, y: position.y - 20 }).catch(() => undefined);
    },
    [flow],
  );

  return (
    <div className="editor" data-testid="editor" ref={editorRef}>
      <ReactFlow<SynthFlowNode, Edge>
        nodes={flowNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={(_e, _node, dragged) => {
          dragStart.current = Object.fromEntries(dragged.map((n) => [n.id, { ...n.position }]));
        }}
        onNodeDragStop={(_e, _node, dragged) => {
          const after = Object.fromEntries(dragged.map((n) => [n.id, { ...n.position }]));
          store.setPositions(after);
          recordMove(dragStart.current, after);
        }}
        onDragOver={(event) => {
          if (event.dataTransfer.types.includes(PALETTE_MIME)) {
            event.preventDefault();
            event.dataTransfer.dropEffect = 'copy';
          }
        }}
        onDrop={onDrop}
        onMoveStart={(event) => {
          // Only gestures carry an event; programmatic fits do not.
          if (event) userMoved.current = true;
        }}
        deleteKeyCode={['Delete', 'Backspace']}
        connectionLineType={ConnectionLineType.Bezier}
        connectionRadius={28}
        minZoom={0.1}
        maxZoom={3}
        proOptions={{ hideAttribution: true }}
        colorMode={theme}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
        <Controls showInteractive={false} />
        {nodes.size > 0 && (
          <MiniMap
            pannable
            zoomable
            className="minimap"
            style={{ width: 150, height: 96 }}
            nodeClassName={(n) => `mini-${(n.data as { node: { type: string } }).node.type}`}
          />
        )}
      </ReactFlow>
      {nodes.size === 0 && (
        <div className="editor-empty">
          <p>
            Drag a node from the palette, or type <code>demo</code> in the console below and press Start.
          </p>
        </div>
      )}
    </div>
  );
}
