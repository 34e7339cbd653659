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

function loop(now: number) {
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

/** A CSS custom property of the page (theme colours for canvases). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}
