// One requestAnimationFrame loop for every canvas (scopes, meters, spectrum): signal data never goes
// through React state, so drawing at the display's rate costs no re-renders.

import { useEffect, useRef } from 'react';

type Draw = (now: number) => void;
const draws = new Set<{ current: Draw }>();
let running = false;
let frames = 0;
let fpsWindowStart = 0;
/** Frames per second of the drawing loop, measured over the last second (for tests and the status bar). */
export let drawFps = 0;

/** Canvases redraw at most this often: signals arrive ≈ 25 times a second, and every frame drawn costs
 * CPU the audio engine or the browser's own audio may need. */
const FRAME_MS = 1000 / 30 - 2;
let lastDraw = 0;

function loop(now: number) {
  if (now - lastDraw < FRAME_MS) {
    if (draws.size) requestAnimationFrame(loop);
    else running = false;
    return;
  }
  lastDraw = now;
  frames++;
  if (now - fpsWindowStart >= 1000) {
    drawFps = (frames * 1000) / (now - fpsWindowStart);
    frames = 0;
    fpsWindowStart = now;
  }
  for (const draw of draws) {
    try {
      draw.current(now);
    } catch (error) {
      console.warn(error);
    }
  }
  if (draws.size) requestAnimationFrame(loop);
  else running = false;
}

export function useAnimationFrame(draw: Draw) {
  const ref = useRef(draw);
  ref.current = draw;
  useEffect(() => {
    draws.add(ref);
    if (!running) {
      running = true;
      fpsWindowStart = performance.now();
      requestAnimationFrame(loop);
    }
    return () => {
      draws.delete(ref);
    };
  }, []);
}

/** Sizes a canvas's backing store to its CSS size × devicePixelRatio; returns the 2D context and size. */
export function fitCanvas(canvas: HTMLCanvasElement) {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  return { ctx: canvas.getContext('2d')!, width, height, dpr };
}

const cssCache = new Map<string, string>();
let cssTheme: string | undefined;

/** A CSS custom property of the page (theme colours for canvases), read again when the theme changes. */
export function cssVar(name: string): string {
  const theme = document.documentElement.dataset.theme;
  if (theme !== cssTheme) {
    cssTheme = theme;
    cssCache.clear();
  }
  let value = cssCache.get(name);
  if (value === undefined) {
    value = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
    cssCache.set(name, value);
  }
  return value;
}

/** True when a canvas needs drawing: its data, size or theme changed since the last time it was drawn. */
export function changed(canvas: HTMLCanvasElement, stamp: number | string | undefined): boolean {
  const key = `${stamp}|${canvas.clientWidth}x${canvas.clientHeight}|${document.documentElement.dataset.theme}`;
  if (canvas.dataset.drawn === key) return false;
  canvas.dataset.drawn = key;
  return true;
}
