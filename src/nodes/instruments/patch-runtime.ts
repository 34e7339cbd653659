// One instance of a patch on the render side (a PatchNode, or one voice of a VoicesNode): a nested plan
// kept in step with the patch. A new version of the file arrives as a new PatchPlan; only the difference
// is applied (patchEdits), at the block boundary where `configure` runs, so inner nodes that did not change
// keep their instances — phases, envelopes, delay lines — and a reload does not click.

import type { ChildPlan, NodeContext } from '../../engine/definition.js';
import { type PatchDescription, type PatchPlan, patchEdits, scopeHost } from '../../engine/patch.js';

export class PatchRuntime {
  private readonly ctx: NodeContext;
  private readonly label: string | undefined;
  private child: ChildPlan | null = null;
  private current: PatchDescription | null = null;
  private running = false;

  constructor(ctx: NodeContext, label?: string) {
    this.ctx = ctx;
    this.label = label;
  }

  /** The patch being played (null before the first plan, or after `clear`). */
  get patch(): PatchDescription | null {
    return this.current;
  }

  /** The nested plan (null before the first plan). */
  get plan(): ChildPlan | null {
    return this.child;
  }

  /** Render side, at a block boundary: bring the nested plan to `plan`'s version of the patch. */
  update(plan: PatchPlan): void {
    // Another folder is another patch: its paths resolve elsewhere, so start from an empty plan.
    if (this.child && this.current && plan.patch.dir !== this.current.dir) this.clear();
    if (!this.child) {
      if (!this.ctx.createChild) throw new Error('this renderer cannot hold patches (no nested plans)');
      this.child = this.ctx.createChild({
        host: scopeHost(this.ctx.host, plan.patch.dir),
        label: this.label,
      });
      if (this.running) this.child.start();
    }
    this.child.apply(patchEdits(this.current, plan));
    this.current = plan.patch;
  }

  /** No patch any more: the inner nodes are disposed and their buffers given back. */
  clear(): void {
    this.child?.dispose();
    this.child = null;
    this.current = null;
  }

  /** Render side: one block of the inner nodes. */
  render(frames: number): void {
    this.child?.render(frames);
  }

  start(): void {
    this.running = true;
    this.child?.start();
  }

  stop(): void {
    this.running = false;
    this.child?.stop();
  }

  dispose(): void {
    this.clear();
  }
}
