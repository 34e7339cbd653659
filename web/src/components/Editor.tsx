// The graph canvas (React Flow): the live graph drawn from the store; every gesture becomes an API edit,
// and every edit is undoable. Gestures: drag from an output to an input to connect (replacing an input's
// cable says so); drag a cable off an input to unplug it, or onto another input to move it; copy, paste,
// duplicate (Ctrl+C/V/D) with the links among the copied nodes; select all (Ctrl+A); quick-add at the
// pointer (double-click, N, or a cable dropped on empty canvas); context menus on nodes, cables and the
// canvas; Space starts or stops rendering. Drag empty canvas to select, middle-drag or scroll to pan,
// Ctrl+scroll to zoom. Double-clicking a PatchNode or VoicesNode opens its inside (InnerView.tsx) over
// this canvas, which stays mounted and live underneath, its keys still until the way back.

import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  type Connection,
  ConnectionLineType,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnConnectStartParams,
  ReactFlow,
  type ReactFlowInstance,
  useReactFlow,
} from '@xyflow/react';
import {
  type DragEvent,
  type MouseEvent as ReactMouseEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ApiConnection, ApiPort, NodeTypeInfo } from '../api';
import { api, backend } from '../backend';
import { copyNodes, duplicate, hasClip, paste } from '../clipboard';
import { fedPort, valueRange } from '../controls';
import { addNode, link, moveCableEnd, recordMove, removeNodes, unlink } from '../edits';
import { insidePatch, openInnerPatch, useInnerLevels } from '../inner-patch';
import { placeMissing } from '../layout';
import { innerPatchOf, isPatchNodeType } from '../node-hooks';
import { autoLayout, measured } from '../patch';
import { connectionKey, type Position, store, useStore } from '../store';
import { ContextMenu, type MenuEntry } from './ContextMenu';
import { keepFiles } from './Files';
import { QuickAdd } from './QuickAdd';
import { kindOf, type SynthFlowNode, SynthNode } from './SynthNode';

const nodeTypes = { synth: SynthNode };
export const PALETTE_MIME = 'application/x-synchrotron-type';
/** Node text is at least 11 px at zoom 1: an automatic fit never goes below 9 px on screen. */
export const READABLE_ZOOM = 9 / 11;
/** Space around a fitted graph, screen px. */
const FIT_MARGIN = 14;

/** Link rule of SPEC §1: MIDI only with MIDI; stream and data mix freely. */
export function kindsFit(outputType: string, inputType: string) {
  return (kindOf(outputType) === 'midi') === (kindOf(inputType) === 'midi');
}

export function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}

type Menu = { x: number; y: number; items: MenuEntry[]; label: string };
type Quick = { x: number; y: number; at: Position; from?: ApiPort; fromType?: string };

/** The flow canvas's imperative handle for the rail's buttons and the top bar. */
export const canvas: { fit: () => void } = {
  fit: () => {},
};

export function Editor({ theme }: { theme: 'light' | 'dark' }) {
  const nodes = useStore((s) => s.nodes);
  const connections = useStore((s) => s.connections);
  const positions = useStore((s) => s.positions);
  const types = useStore((s) => s.types);
  const scriptsRunning = useStore((s) => s.scriptsRunning);
  const watched = useStore((s) => s.watched);
  const log = useStore((s) => s.log);
  /** While a patch's inside covers this canvas, its keys stand still (see inner-patch.ts). */
  const inside = useInnerLevels().length > 0;
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
  const [menu, setMenu] = useState<Menu | null>(null);
  const [quick, setQuick] = useState<Quick | null>(null);
  /** The cable picked up by dragging from its input, hidden while it is carried. */
  const [carried, setCarried] = useState<ApiConnection | null>(null);
  const carriedRef = useRef<ApiConnection | null>(null);
  const dragStart = useRef<Record<string, Position>>({});
  const fitRequest = useStore((s) => s.fitRequest);
  const fitted = useRef(0);
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const selectAfter = useRef<Set<string> | null>(null);

  const editorRef = useRef<HTMLDivElement>(null);
  /** True once the user pans or zooms: from then on resizes and new nodes leave the view alone. */
  const userMoved = useRef(false);

  const faulted = useMemo(() => {
    const set = new Set<string>();
    for (const entry of log) if (entry.kind === 'fault' && entry.node) set.add(entry.node);
    return set;
  }, [log]);

  // Nodes without a position (made by the console, another client, a .syn file) get one — laid out
  // together once a script's pushes have all arrived, so its links shape the layout.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-armed by every change; reads the newest state when it fires
  useEffect(() => {
    const timer = setTimeout(() => {
      const { nodes: now, connections: links, positions: placed, types: known, scriptsRunning } = store.state;
      // Not before the types are known: until then nodes are drawn without their controls, narrower
      // than they will be, and a layout from those sizes would overlap. Not while a script of this page
      // is still arriving: its links shape the layout.
      if (!known.length || scriptsRunning > 0) return;
      const missing = placeMissing([...now.values()], links, placed, measured);
      if (Object.keys(missing).length) store.setPositions(missing);
    }, 40);
    return () => clearTimeout(timer);
  }, [nodes, connections, positions, types, scriptsRunning]);

  // Markers for tools and tests, on the editor element, set before the browser paints: `data-placing` while
  // a node waits for the layout to give it a place, `data-moving` while the view may be about to move or is
  // moving (a fit after new nodes, a resize). A click aimed at a node meanwhile could land elsewhere.
  const known = useRef(new Set<string>());
  const movingUntil = useRef(0);
  const movingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const markMoving = useCallback((ms: number) => {
    const element = editorRef.current;
    if (!element) return;
    movingUntil.current = Math.max(movingUntil.current, performance.now() + ms);
    element.dataset.moving = 'true';
    clearTimeout(movingTimer.current);
    const clear = () => {
      const left = movingUntil.current - performance.now();
      if (left > 0) movingTimer.current = setTimeout(clear, left);
      else delete element.dataset.moving;
    };
    movingTimer.current = setTimeout(clear, ms);
  }, []);
  useLayoutEffect(() => {
    const element = editorRef.current;
    if (!element) return;
    if ([...nodes.keys()].some((name) => !positions[name])) element.dataset.placing = 'true';
    else delete element.dataset.placing;
    // Newly placed nodes: the effect below decides (after paint) whether the view goes to them.
    if ([...nodes.keys()].some((name) => positions[name] && !known.current.has(name))) markMoving(250);
  }, [nodes, positions, markMoving]);

  // A node that appears out of sight (placed below the graph, or where a node of its name once was)
  // brings the view to it, unless the user has placed the view themselves.
  useEffect(() => {
    const fresh = [...nodes.keys()].filter(
      (name) => !known.current.has(name) && positions[name] && !store.placedHere.has(name),
    );
    known.current = new Set([...nodes.keys()].filter((name) => positions[name]));
    for (const name of known.current) store.placedHere.delete(name);
    if (!fresh.length || userMoved.current) return;
    const box = editorRef.current?.getBoundingClientRect();
    if (!box) return;
    const { x, y, zoom } = flow.getViewport();
    const outside = fresh.some((name) => {
      const p = positions[name];
      const size = measured(nodes.get(name)!);
      const left = box.left + x + p.x * zoom;
      const top = box.top + y + p.y * zoom;
      return (
        left < box.left ||
        top < box.top ||
        left + size.width * zoom > box.right ||
        top + size.height * zoom > box.bottom
      );
    });
    if (outside) {
      markMoving(600);
      store.requestFit();
    }
  }, [nodes, positions, flow, markMoving]);

  // Store → flow nodes, keeping React Flow's own fields (measured size, selection, dragging).
  useEffect(() => {
    const typeInfo = new Map(types.map((t) => [t.type, t]));
    const select = selectAfter.current;
    if (select && [...select].every((n) => nodes.has(n))) selectAfter.current = null;
    setFlowNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      return [...nodes.values()].map((node): SynthFlowNode => {
        const old = byId.get(node.name);
        const watchedPorts = watched.filter((p) => p.node_name === node.name).map((p) => p.port_name);
        const value = node.exports.Value;
        const range =
          node.type === 'DataNode' && typeof value === 'number'
            ? valueRange(fedPort(node, connections, nodes, typeInfo), value)
            : null;
        return {
          ...old,
          id: node.name,
          type: 'synth',
          selected: select ? select.has(node.name) : old?.selected,
          position: old?.dragging ? old.position : (positions[node.name] ?? old?.position ?? { x: 0, y: 0 }),
          data: {
            node,
            info: typeInfo.get(node.type),
            watched: watchedPorts,
            faulted: faulted.has(node.name),
            range,
          },
        };
      });
    });
  }, [nodes, connections, positions, types, watched, faulted]);

  /**
   * Fits the whole graph in view, but never below a zoom where node text stays readable (9 px): a graph
   * too big for that shows its beginning (top left, where the signal flow starts); the map in the side
   * panel and the fit button show the rest.
   */
  const fitReadable = useCallback(() => {
    markMoving(300); // the fit's 150 ms animation, and a frame or two after
    fitInBox(flow, editorRef.current);
  }, [flow, markMoving]);
  canvas.fit = fitReadable;

  useEffect(() => {
    if (fitted.current === fitRequest || !flowNodes.length) return;
    if (!flowNodes.every((n) => n.measured && positions[n.id])) return;
    fitted.current = fitRequest;
    userMoved.current = false;
    // After React Flow has taken the new positions in (they reach it one render later).
    markMoving(400);
    setTimeout(fitReadable, 60);
  }, [flowNodes, fitReadable, fitRequest, positions, markMoving]);

  // A resized canvas (window, or a panel dragged) refits, unless the user has placed the view themselves.
  useEffect(() => {
    const element = editorRef.current;
    if (!element) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => {
      if (!userMoved.current) markMoving(450);
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
  }, [fitReadable, markMoving]);

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
          className: `edge kind-${kind}${carried && connectionKey(carried) === id ? ' carried' : ''}`,
          selected: selectedEdges.has(id),
          data: { connection: c },
        };
      }),
    [connections, nodes, selectedEdges, carried],
  );

  const selectedNames = useCallback(
    () =>
      flow
        .getNodes()
        .filter((n) => n.selected)
        .map((n) => n.id),
    [flow],
  );
  const selectOnly = useCallback((names: string[]) => {
    const chosen = new Set(names);
    // Only names still to arrive (a paste's, a quick-add's) wait for the next rebuild; a selection of nodes
    // already drawn (Ctrl+A) must not linger there, or the next unrelated update would re-apply it after
    // the user had cleared it.
    const nodes = store.state.nodes;
    selectAfter.current = names.every((name) => nodes.has(name)) ? null : chosen;
    setFlowNodes((previous) => previous.map((n) => ({ ...n, selected: chosen.has(n.id) })));
  }, []);

  /** Where a paste or a quick-add lands: the pointer if it is over the canvas, else the view's centre. */
  const landingSpot = useCallback((): Position => {
    const box = editorRef.current?.getBoundingClientRect();
    const p = pointer.current;
    if (box && p && p.x >= box.left && p.x <= box.right && p.y >= box.top && p.y <= box.bottom)
      return flow.screenToFlowPosition(p);
    if (!box) return { x: 0, y: 0 };
    return flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
  }, [flow]);

  const doPaste = useCallback(
    async (text: string | null, at?: Position) => {
      const names = await paste(text, at ?? landingSpot()).catch(() => []);
      if (names.length) selectOnly(names);
    },
    [landingSpot, selectOnly],
  );
  const doDuplicate = useCallback(
    async (names: string[]) => {
      const made = await duplicate(names).catch(() => []);
      if (made.length) selectOnly(made);
    },
    [selectOnly],
  );
  const openQuickAdd = useCallback(
    (screen: { x: number; y: number }, from?: ApiPort, fromType?: string) => {
      setMenu(null);
      setQuick({ x: screen.x, y: screen.y, at: flow.screenToFlowPosition(screen), from, fromType });
    },
    [flow],
  );

  // Keys of the canvas (not while typing in a field).
  useEffect(() => {
    const keys = async (e: KeyboardEvent) => {
      if (isTyping(e.target) || document.querySelector('.dialog-backdrop')) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      // Inside a patch only Space (the transport) still reaches the main graph: edits would be unseen.
      if (insidePatch() && e.code !== 'Space') return;
      if (mod && key === 'a') {
        e.preventDefault();
        selectOnly(flow.getNodes().map((n) => n.id));
      } else if (mod && key === 'c') {
        // Text selected somewhere (the console's output): that is what Ctrl+C copies.
        if (window.getSelection()?.toString()) return;
        const text = copyNodes(selectedNames());
        if (text) {
          copied.current = text;
          navigator.clipboard?.writeText(text).catch(() => undefined);
        }
      } else if (mod && key === 'd') {
        e.preventDefault();
        await doDuplicate(selectedNames());
      } else if (
        e.code === 'Space' &&
        !mod &&
        !e.repeat &&
        (e.target as HTMLElement).getAttribute?.('role') !== 'slider'
      ) {
        e.preventDefault();
        const running = store.state.status?.running;
        await (running ? api.stop() : api.start()).then(
          () => store.setRunning(!running),
          (error: Error) => store.showToast(error.message),
        );
      } else if (!mod && !e.altKey && e.code === 'KeyN' && pointer.current) {
        e.preventDefault();
        openQuickAdd(pointer.current);
      } else if (e.key === 'Escape') {
        setMenu(null);
        setQuick(null);
      }
    };
    // The system clipboard: copy writes the selection as a .sui fragment, paste reads one back.
    const copied = { current: null as string | null };
    const onCopy = (e: ClipboardEvent) => {
      if (isTyping(e.target) || !copied.current) return;
      e.clipboardData?.setData('text/plain', copied.current);
      e.preventDefault();
      copied.current = null;
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isTyping(e.target) || document.querySelector('.dialog-backdrop') || insidePatch()) return;
      const text = e.clipboardData?.getData('text/plain') ?? null;
      if (!text && !hasClip()) return;
      e.preventDefault();
      void doPaste(text);
    };
    window.addEventListener('keydown', keys);
    document.addEventListener('copy', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', keys);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [flow, selectOnly, selectedNames, doDuplicate, doPaste, openQuickAdd]);

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
    const cables = cut.map((e) => (e.data as { connection: ApiConnection }).connection);
    if (cables.length) unlink(cables).catch(() => undefined);
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
    const picked = carriedRef.current;
    carriedRef.current = null;
    setCarried(null);
    const sink = { node_name: c.target, port_name: c.targetHandle };
    const source = { node_name: c.source, port_name: c.sourceHandle };
    // A carried cable dropped on an output: that output now feeds the input it came from.
    link(picked ? { source, sink: picked.sink } : { source, sink }).catch(() => undefined);
  }, []);

  /** Dragging from an input that has a cable picks the cable up (to unplug or move it). */
  const onConnectStart = useCallback((_e: unknown, params: OnConnectStartParams) => {
    if (params.handleType !== 'target' || !params.nodeId || !params.handleId) return;
    const cable = store.state.connections.find(
      (c) => c.sink.node_name === params.nodeId && c.sink.port_name === params.handleId,
    );
    carriedRef.current = cable ?? null;
    setCarried(cable ?? null);
  }, []);

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      const picked = carriedRef.current;
      carriedRef.current = null;
      setCarried(null);
      const from = state.fromHandle;
      const to = state.toHandle;
      if (picked) {
        if (to && to.type === 'target' && to.id) {
          // Onto another input: the cable moves there (replacing that input's cable, which is said).
          moveCableEnd(picked, { node_name: to.nodeId, port_name: to.id }).catch(() => undefined);
        } else if (!to || !state.isValid) {
          // Dropped anywhere else: pulled out.
          moveCableEnd(picked, null).catch(() => undefined);
        }
        return;
      }
      if (!from) return;
      if (!to) {
        // A new cable from an output dropped on empty canvas: add a node there, linked to it.
        if (from.type === 'source' && from.id) {
          const point = 'changedTouches' in event ? event.changedTouches[0] : event;
          const output = nodes.get(from.nodeId)?.outputs.find((o) => o.port_name === from.id);
          openQuickAdd(
            { x: point.clientX, y: point.clientY },
            { node_name: from.nodeId, port_name: from.id },
            output?.type,
          );
        }
        return;
      }
      if (state.isValid) return;
      if (from.type === to.type) {
        store.showToast('Refused: connect an output (right) to an input (left).');
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
    [portTypes, nodes, openQuickAdd],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      // Files dropped on the canvas (local mode): kept in this browser for nodes to read by name.
      if (event.dataTransfer.files.length && backend().files) {
        event.preventDefault();
        void keepFiles(event.dataTransfer.files);
        return;
      }
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addNode(type, { x: position.x - 60, y: position.y - 20 }).catch(() => undefined);
    },
    [flow],
  );

  /** Adds the chosen type at the quick-add spot, linked to the dropped cable's output when there was one. */
  const quickPick = useCallback(
    async (type: string) => {
      const q = quick;
      setQuick(null);
      if (!q) return;
      const name = await addNode(type, { x: q.at.x, y: q.at.y - 16 }).catch(() => null);
      if (!name || !q.from) return;
      const info = store.state.types.find((t) => t.type === type);
      const input = info && firstInputFor(info, q.fromType);
      if (input) link({ source: q.from, sink: { node_name: name, port_name: input } }).catch(() => undefined);
    },
    [quick],
  );

  // ------------------------------------------------------------------ context menus

  const nodeMenu = useCallback(
    (event: ReactMouseEvent, name: string) => {
      event.preventDefault();
      const selected = selectedNames();
      const names = selected.includes(name) ? selected : [name];
      const node = store.state.nodes.get(name);
      if (!node) return;
      const inner = innerPatchOf(node, store.state.nodes);
      const cables = store.state.connections.filter(
        (c) => names.includes(c.source.node_name) || names.includes(c.sink.node_name),
      );
      const streamOuts = names.length === 1 ? node.outputs.filter((o) => o.type === 'StreamOutput') : [];
      const items: MenuEntry[] = [
        ...(names.length === 1
          ? [
              {
                label: 'Rename',
                shortcut: 'dbl-click',
                action: () =>
                  document
                    .querySelector<HTMLElement>(`[data-testid="node-${CSS.escape(name)}"] .node-name`)
                    ?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true })),
              },
            ]
          : []),
        {
          label: names.length > 1 ? `Duplicate ${names.length} nodes` : 'Duplicate',
          shortcut: 'Ctrl+D',
          action: () => doDuplicate(names),
        },
        {
          label: 'Copy',
          shortcut: 'Ctrl+C',
          action: () => {
            const text = copyNodes(names);
            if (text) navigator.clipboard?.writeText(text).catch(() => undefined);
          },
        },
        ...streamOuts.map((o) => ({
          label: `${store.isWatched(o) ? 'Hide' : 'Show'} scope of ${o.port_name}`,
          action: () => store.toggleWatch({ node_name: name, port_name: o.port_name }),
        })),
        ...(inner
          ? [
              {
                label: `Open inner patch (${inner})`,
                shortcut: isPatchNodeType(node.type) ? 'dbl-click' : undefined,
                action: () => void openInnerPatch(name, inner),
              },
            ]
          : []),
        'separator',
        {
          label: `Disconnect all (${cables.length})`,
          disabled: !cables.length,
          action: () => unlink(cables).catch(() => undefined),
        },
        {
          label: names.length > 1 ? `Delete ${names.length} nodes` : 'Delete',
          shortcut: 'Del',
          danger: true,
          action: () => removeNodes(names).catch(() => undefined),
        },
      ];
      setQuick(null);
      setMenu({ x: event.clientX, y: event.clientY, items, label: `node ${name}` });
    },
    [selectedNames, doDuplicate],
  );

  const edgeMenu = useCallback((event: ReactMouseEvent, edge: Edge) => {
    event.preventDefault();
    const cable = (edge.data as { connection: ApiConnection }).connection;
    setQuick(null);
    setMenu({
      x: event.clientX,
      y: event.clientY,
      label: 'cable',
      items: [
        {
          label: `Delete cable ${cable.source.node_name}.${cable.source.port_name} → ${cable.sink.node_name}.${cable.sink.port_name}`,
          shortcut: 'Del',
          danger: true,
          action: () => unlink([cable]).catch(() => undefined),
        },
      ],
    });
  }, []);

  const paneMenu = useCallback(
    (event: ReactMouseEvent | MouseEvent) => {
      event.preventDefault();
      const screen = { x: event.clientX, y: event.clientY };
      const at = flow.screenToFlowPosition(screen);
      setQuick(null);
      setMenu({
        x: screen.x,
        y: screen.y,
        label: 'canvas',
        items: [
          { label: 'Add node…', shortcut: 'N', action: () => openQuickAdd(screen) },
          {
            label: 'Paste',
            shortcut: 'Ctrl+V',
            disabled: !hasClip(),
            action: () => void doPaste(null, at),
          },
          'separator',
          {
            label: 'Select all',
            shortcut: 'Ctrl+A',
            disabled: !store.state.nodes.size,
            action: () => selectOnly(flow.getNodes().map((n) => n.id)),
          },
          { label: 'Arrange', disabled: !store.state.nodes.size, action: autoLayout },
          { label: 'Fit to view', disabled: !store.state.nodes.size, action: () => fitReadable() },
        ],
      });
    },
    [flow, openQuickAdd, doPaste, selectOnly, fitReadable],
  );

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: pointer tracking for paste and quick-add positions
    <div
      className="editor"
      data-testid="editor"
      ref={editorRef}
      onMouseMove={(e) => {
        pointer.current = { x: e.clientX, y: e.clientY };
      }}
      onMouseLeave={() => {
        pointer.current = null;
      }}
    >
      <ReactFlow<SynthFlowNode, Edge>
        nodes={flowNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
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
        onNodeContextMenu={(e, node) => nodeMenu(e, node.id)}
        onNodeDoubleClick={(e, flowNode) => {
          // A patch node opens its inside — unless the double-click was on its name (rename) or a control.
          const target = e.target as HTMLElement;
          if (target.closest('button, input, textarea, [role="slider"], .react-flow__handle')) return;
          const node = store.state.nodes.get(flowNode.id);
          const path = node && innerPatchOf(node, store.state.nodes);
          if (node && path && isPatchNodeType(node.type)) void openInnerPatch(node.name, path);
        }}
        onEdgeContextMenu={edgeMenu}
        onPaneContextMenu={paneMenu}
        onDoubleClick={(e) => {
          // Only on empty canvas (a node's own double-click renames or types a value).
          if ((e.target as HTMLElement).classList.contains('react-flow__pane'))
            openQuickAdd({ x: e.clientX, y: e.clientY });
        }}
        onDragOver={(event) => {
          if (
            event.dataTransfer.types.includes(PALETTE_MIME) ||
            (event.dataTransfer.types.includes('Files') && backend().files)
          ) {
            event.preventDefault();
            event.dataTransfer.dropEffect = 'copy';
          }
        }}
        onDrop={onDrop}
        onMoveStart={(event) => {
          // Only gestures carry an event; programmatic fits do not.
          if (event) userMoved.current = true;
        }}
        deleteKeyCode={inside ? null : ['Delete', 'Backspace']}
        // As in VCV Rack: dragging empty canvas draws a selection box, the middle button or the wheel
        // (two fingers) pans, Ctrl+wheel (or a pinch) zooms. Shift is left to controls, for fine moves.
        panActivationKeyCode={null}
        selectionKeyCode={null}
        selectionOnDrag
        panOnDrag={[1]}
        panOnScroll
        zoomOnDoubleClick={false}
        connectionLineType={ConnectionLineType.Bezier}
        connectionRadius={28}
        minZoom={0.1}
        maxZoom={3}
        proOptions={{ hideAttribution: true }}
        colorMode={theme}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
      </ReactFlow>
      {nodes.size === 0 && (
        <div className="editor-empty">
          <p>
            Drag a node from the palette or double-click here to add one — or type <code>demo</code> in the
            console below and press Start.
          </p>
        </div>
      )}
      {menu && <ContextMenu {...menu} onClose={() => setMenu(null)} />}
      {quick && (
        <QuickAdd
          x={quick.x}
          y={quick.y}
          hint={quick.from ? `linked from ${quick.from.node_name}.${quick.from.port_name}` : undefined}
          filter={quick.fromType ? (info) => firstInputFor(info, quick.fromType) !== null : undefined}
          onPick={(type) => void quickPick(type)}
          onClose={() => setQuick(null)}
        />
      )}
    </div>
  );
}

/**
 * Fits the nodes of `flow` in `element`'s box, never below READABLE_ZOOM (see fitReadable); also the inner
 * patch view's fit.
 */
export function fitInBox(
  flow: Pick<ReactFlowInstance, 'getNodes' | 'getNodesBounds' | 'setViewport'>,
  element: HTMLElement | null,
) {
  const box = element?.getBoundingClientRect();
  const drawn = flow.getNodes();
  if (!box?.width || !box.height || !drawn.length) return;
  const bounds = flow.getNodesBounds(drawn);
  const room = { width: box.width - 2 * FIT_MARGIN, height: box.height - 2 * FIT_MARGIN };
  const fitZoom = Math.min(room.width / bounds.width, room.height / bounds.height, 1.5);
  const zoom = Math.max(fitZoom, READABLE_ZOOM);
  // Centred along an axis that fits, started at the top/left along one that does not.
  const place = (size: number, start: number, space: number) =>
    size * zoom <= space + 0.5
      ? FIT_MARGIN + (space - size * zoom) / 2 - start * zoom
      : FIT_MARGIN - start * zoom;
  void flow.setViewport(
    { x: place(bounds.width, bounds.x, room.width), y: place(bounds.height, bounds.y, room.height), zoom },
    { duration: 150 },
  );
}

/** The input of a type a cable from an output of `outputType` should plug into (its first that fits). */
function firstInputFor(info: NodeTypeInfo, outputType?: string): string | null {
  const midi = outputType?.startsWith('Midi');
  const fits = info.inputs.filter((p) => (p.kind === 'midi') === !!midi);
  return (fits.find((p) => p.kind === 'stream') ?? fits[0])?.name ?? null;
}
