// Plan building: binds every node's inputs to its sources' buffers and puts the nodes in render order.
// Runs when an edit is applied, at a block boundary (renderer.ts); it may allocate, the plan it makes does not.
// A link that closes a cycle is a back edge: its sink reads the source's previous block (a one-block
// delay), because output buffers persist between blocks.

import type { BufferPool } from './buffers.js';
import {
  type DataInput,
  DataOutput,
  type MidiInput,
  MidiOutput,
  type StreamInput,
  StreamOutput,
} from './definition.js';
import { DataToStream, type InputStep, RelinkCrossfade } from './input-steps.js';
import { EMPTY_MIDI } from './midi.js';
import type { RenderNode } from './render-node.js';
import type { PortRef } from './types.js';

/** A link as the render side keeps it, by sink port (`node.port`). */
export interface Link {
  source: PortRef;
  sink: PortRef;
}

/**
 * Binds one node's inputs: a stream input reads its source's buffer, a data→stream converter or its default
 * buffer; a relinked stream input that has rendered glides to its new source (RelinkCrossfade).
 */
export function bindInputs(
  node: RenderNode,
  nodes: ReadonlyMap<string, RenderNode>,
  links: ReadonlyMap<string, Link>,
  pool: BufferPool,
  blockSize: number,
): void {
  const converters: InputStep[] = [];
  const fades: InputStep[] = [];
  for (const [port, spec] of Object.entries(node.inputSpecs)) {
    const link = links.get(`${node.name}.${port}`);
    const source = link ? nodes.get(link.source.node) : undefined;
    const sourceOutput =
      source && Object.hasOwn(source.io.outputs, link!.source.port)
        ? (source.io.outputs[link!.source.port] as unknown)
        : undefined;
    const input = node.io.inputs[port];
    if (spec.kind === 'stream') {
      const streamInput = input as unknown as StreamInput;
      const previous = streamInput.buf;
      let targetConstant: boolean | null;
      streamInput.linked = sourceOutput instanceof StreamOutput || sourceOutput instanceof DataOutput;
      if (sourceOutput instanceof StreamOutput) {
        streamInput.buf = sourceOutput.buf;
        streamInput.constant = false;
        targetConstant = false;
      } else if (sourceOutput instanceof DataOutput) {
        let converter = node.converters.get(port);
        if (!converter) {
          converter = new DataToStream(sourceOutput.slot, pool.alloc(), streamInput);
          node.converters.set(port, converter);
        }
        converter.slot = sourceOutput.slot;
        streamInput.buf = converter.buf;
        converters.push(converter);
        targetConstant = null;
      } else {
        streamInput.buf = node.defaultBuffers.get(port)!;
        streamInput.constant = true;
        targetConstant = true;
      }
      const fade = node.crossfades.get(port);
      if (node.rendered && previous !== streamInput.buf && previous !== fade?.buf) {
        let crossfade = fade;
        if (!crossfade) {
          crossfade = new RelinkCrossfade(pool.alloc(), streamInput);
          node.crossfades.set(port, crossfade);
        }
        crossfade.arm(previous[blockSize - 1], streamInput.buf, targetConstant);
        fades.push(crossfade);
      } else if (fade && previous === fade.buf) {
        // Relinked again mid-fade: glide on from where the fade is now.
        fade.arm(previous[blockSize - 1], streamInput.buf, targetConstant);
        fades.push(fade);
      }
    } else if (spec.kind === 'data') {
      const dataInput = input as unknown as DataInput;
      if (sourceOutput instanceof DataOutput) dataInput.source = sourceOutput.slot;
      else if (sourceOutput instanceof StreamOutput) dataInput.source = sourceOutput.asData;
      else dataInput.source = dataInput.defaultSlot;
    } else {
      (input as unknown as MidiInput).source =
        sourceOutput instanceof MidiOutput ? sourceOutput.buf : EMPTY_MIDI;
    }
  }
  node.inputSteps = converters.length + fades.length > 0 ? [...converters, ...fades] : converters;
}

/** Depth-first post-order over "is fed by" edges, iterative (chains of thousands of nodes are fine). */
export function renderOrder(
  nodes: ReadonlyMap<string, RenderNode>,
  links: ReadonlyMap<string, Link>,
): RenderNode[] {
  const order: RenderNode[] = [];
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const feeders = new Map<string, string[]>();
  for (const link of links.values()) {
    const list = feeders.get(link.sink.node);
    if (list) list.push(link.source.node);
    else feeders.set(link.sink.node, [link.source.node]);
  }
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const sources = feeders.get(top.name) ?? [];
      if (top.next < sources.length) {
        const source = sources[top.next++];
        if (!state.has(source) && nodes.has(source)) {
          state.set(source, 1);
          stack.push({ name: source, next: 0 });
        }
        // state 1 → back edge (cycle): left as a one-block delay. state 2 → already ordered.
      } else {
        stack.pop();
        state.set(top.name, 2);
        order.push(nodes.get(top.name)!);
      }
    }
  }
  return order;
}
