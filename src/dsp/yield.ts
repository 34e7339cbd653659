// Long control-side work (decoding and resampling a file in a node's `prepare`) is done in slices with the
// event loop let through between them, so a server keeps answering while a long sample loads.

/** Lets the event loop run: a timer where there are timers (Node, browsers, workers), else a microtask. */
export function yieldToEventLoop(): Promise<void> {
  const timer = (globalThis as { setTimeout?: (callback: () => void, ms: number) => unknown }).setTimeout;
  return new Promise((resolve) => (timer ? timer(resolve, 0) : queueMicrotask(resolve)));
}
