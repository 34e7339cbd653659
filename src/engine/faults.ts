// Fault handling (DESIGN.md principle 7, "Render defensively"): a node that throws or produces NaN/Infinity
// is muted and reported, the master is scrubbed, and what a stopped node last played fades out instead of
// clicking. Render thread; nothing here allocates unless a fault is reported.

import type { RenderNode } from './render-node.js';
import type { RenderEvent } from './renderer.js';

export class FaultGuard {
  /** What removed or muted nodes last added to the master (left, right): faded out over the next block. */
  private readonly masterTail = new Float64Array(2);
  /**
   * A tail is fading (masterTail is not 0): fadeOutTail's test each block. It runs once a block, too seldom
   * for V8 to optimize it, and its unoptimized code boxed the tail's two doubles it read (~19 B a block).
   */
  private tailFading = false;
  private readonly report: (event: RenderEvent) => void;
  private readonly muted: (node: RenderNode) => void;

  /**
   * `report` is called for every fault and warning (render thread); `muted` when a node is muted (the op
   * list mutes its op too).
   */
  constructor(report: (event: RenderEvent) => void, muted: (node: RenderNode) => void = () => {}) {
    this.report = report;
    this.muted = muted;
  }

  /** Mutes `node` (its outputs read silence from now on) and reports why. */
  fault(node: RenderNode, message: string): void {
    if (!node.faulted) this.keepTail(node);
    node.faulted = true;
    this.muted(node);
    for (const output of node.streamOutputs) output.buf.fill(0);
    for (const output of node.midiOutputs) output.buf.clear();
    this.report({
      kind: 'fault',
      node: node.name,
      message: `${node.type} \`${node.name}\` ${message}; muted`,
    });
  }

  /** Runs a node's optional hook (start, stop, setValue…); a throw becomes a warning, the node plays on. */
  safely(node: RenderNode, what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.report({
        kind: 'warning',
        node: node.name,
        message: `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /**
   * A node that played into the master stops (removed, `clear`, muted): its last output fades to 0 over the
   * next block instead of stopping dead, which clicked at the level it was playing (0.9 for a 0.9 sine).
   */
  keepTail(node: RenderNode): void {
    const last = node.instance.masterContribution;
    if (!last) return;
    if (Number.isFinite(last[0]) && Number.isFinite(last[1])) {
      this.masterTail[0] += last[0];
      this.masterTail[1] += last[1];
      this.tailFading = true;
    }
    last.fill(0);
  }

  /** Forgets the tail (the transport starts: a node removed while stopped left no sound to fade out). */
  clearTail(): void {
    this.masterTail.fill(0);
    this.tailFading = false;
  }

  /** Adds the fading tail, if any, to the master block just rendered. */
  fadeOutTail(master: { left: Float32Array; right: Float32Array }, frames: number): void {
    if (!this.tailFading) return;
    this.tailFading = false;
    const tailLeft = this.masterTail[0];
    const tailRight = this.masterTail[1];
    const left = master.left;
    const right = master.right;
    const scale = 1 / frames;
    for (let i = 0; i < frames; i++) {
      const remaining = 1 - (i + 1) * scale;
      left[i] += tailLeft * remaining;
      right[i] += tailRight * remaining;
    }
    this.masterTail.fill(0);
  }

  /** Mutes the first node in `plan` whose stream output holds NaN or Infinity; true when one was found. */
  muteNonFinite(plan: readonly RenderNode[], frames: number): boolean {
    for (const node of plan) {
      if (node.faulted) continue;
      if (node.streamOutputs.some((output) => !allFinite(output.buf, frames))) {
        this.fault(node, 'produced NaN or Infinity');
        return true;
      }
    }
    return false;
  }

  /** The master went non-finite: find and mute the first node whose stream output did, scrub the block. */
  scrubMaster(
    plan: readonly RenderNode[],
    master: { left: Float32Array; right: Float32Array },
    frames: number,
  ): void {
    if (allFinite(master.left, frames) && allFinite(master.right, frames)) return;
    this.muteNonFinite(plan, frames);
    scrub(master.left, frames);
    scrub(master.right, frames);
  }
}

/** True when the first `frames` samples are all finite (one multiply-add per sample, no branch). */
export function allFinite(buf: Float32Array, frames: number): boolean {
  let sum = 0;
  for (let i = 0; i < frames; i++) sum += buf[i] * 0;
  return sum === 0;
}

/** Replaces NaN and ±Infinity by 0 in the first `frames` samples. */
export function scrub(buf: Float32Array, frames: number): void {
  for (let i = 0; i < frames; i++) {
    const x = buf[i];
    if (x - x !== 0) buf[i] = 0;
  }
}
