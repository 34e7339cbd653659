// Node positions shared with the server (GET/PUT /positions): `serve --session` keeps them with the graph,
// so a restarted server — or another browser — shows the same layout. When the connection opens the
// server's positions win; from then on this editor's moves are sent a moment after they settle. Kept apart
// from the store: it only reads the store's state and sets positions through its public method.

import { backend } from './backend';
import { type Position, store } from './store';

const SEND_DELAY_MS = 300;

const same = (a: Position | undefined, b: Position) => a !== undefined && a.x === b.x && a.y === b.y;

/** Starts keeping positions in step with the server; returns a function that stops it. */
export function syncPositionsWithServer(): () => void {
  const routes = backend().api;
  const { positions: fetchPositions, setPositions } = routes;
  // Local mode: the page's engine keeps no session, so there is nothing to keep in step with.
  if (!fetchPositions || !setPositions) return () => undefined;
  let synced = false;
  let fetching = false;
  /** What the server holds, as far as this editor knows. */
  let known: Record<string, Position> = {};
  let seen = store.state.positions;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const send = () => {
    timer = undefined;
    const { positions, nodes } = store.state;
    const patch: Record<string, Position> = {};
    for (const [name, position] of Object.entries(positions)) {
      if (nodes.has(name) && !same(known[name], position)) patch[name] = position;
    }
    if (Object.keys(patch).length === 0) return;
    known = { ...known, ...patch };
    setPositions.call(routes, patch).catch(() => {
      // Offline or refused: sent again with the next move (or after reconnecting).
      for (const name of Object.keys(patch)) delete known[name];
    });
  };

  const onChange = () => {
    const { link, positions } = store.state;
    if (link !== 'open') {
      synced = false;
      return;
    }
    if (!synced) {
      if (fetching) return;
      fetching = true;
      fetchPositions.call(routes).then(
        (server) => {
          fetching = false;
          synced = true;
          known = { ...server };
          if (Object.keys(server).length > 0) store.setPositions(server);
          seen = store.state.positions;
          timer ??= setTimeout(send, SEND_DELAY_MS); // what only this editor knows (a layout it made)
        },
        () => {
          fetching = false; // tried again at the next change
        },
      );
      return;
    }
    if (positions === seen) return;
    seen = positions;
    clearTimeout(timer);
    timer = setTimeout(send, SEND_DELAY_MS);
  };

  const unsubscribe = store.subscribe(onChange);
  onChange();
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}
