import { defineNode, stream } from '../../engine/definition.js';

/**
 * The host's audio input: in a web page (the engine in the browser), the microphone the page was given
 * (`engine.connectMicrophone()`; the editor asks for it when this node appears). A host without an input (the
 * server, offline renders) gives silence and says so once.
 */
export const AudioInputNode = defineNode({
  type: 'AudioInputNode',
  category: 'io',
  description:
    "The audio input: the page's microphone when the engine runs in a browser; silence where there is none (server, offline render).",
  inputs: {},
  outputs: {
    left: stream('Left channel of the input.', { unit: '-1…1' }),
    right: stream('Right channel (the left again for a mono microphone).', { unit: '-1…1' }),
    out: stream('Both channels mixed: (left + right) / 2.', { unit: '-1…1' }),
  },
  initialExports: () => ({ Device: 'none' }),
  create(ctx, io) {
    const source = ctx.host.openAudioInput?.() ?? null;
    ctx.publish({ Device: source?.name ?? 'none' });
    if (!source)
      ctx.warn('this engine has no audio input: the node gives silence (the browser engine has one)');
    const left = io.outputs.left.buf;
    const right = io.outputs.right.buf;
    const out = io.outputs.out.buf;
    return {
      process(frames) {
        if (!source) return; // buffers start zeroed and stay so
        source.read(left, right, frames);
        for (let i = 0; i < frames; i++) out[i] = 0.5 * (left[i] + right[i]);
      },
      dispose() {
        source?.close();
      },
    };
  },
});
