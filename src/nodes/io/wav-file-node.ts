import { data, defineNode, stream, type WavWriter } from '../../engine/definition.js';

const DEFAULT_PATH = 'output.wav';

/**
 * Records `signal` into a 32-bit float mono WAV file while rendering. The file opens on the first block
 * rendered (fix: the original always used the default path), with the `path` value of that moment; a later
 * change of `path` closes the file and starts a new one. The file is closed — and valid — on stop, on
 * removal and at shutdown; after a stop the next start records afresh (over its own take). When the server
 * replaces a hung or crashed render worker, the take goes on in the same file (the host continues it). A
 * file that exists and was not recorded by this server is never overwritten: the host records to the next
 * free name (`take-1.wav`) and the node says so. A path the host refuses (another node writing it, outside
 * the root, or a host without files) gives a warning, and the node renders on without recording.
 * NaN/Infinity are written as 0.
 */
export const WavFileNode = defineNode({
  type: 'WavFileNode',
  category: 'io',
  holdsFile: true,
  description: 'Writes `signal` to a 32-bit float mono WAV file at `path` while rendering.',
  inputs: {
    path: data(
      "File to write, relative to the server's --root folder (default: the current directory). A file that exists and was not recorded by this server is kept: the take goes to the next free name (take-1.wav).",
      { default: DEFAULT_PATH },
    ),
    signal: stream('The signal to record.', { default: 0 }),
  },
  outputs: {},
  initialExports: () => ({ 'File Path': DEFAULT_PATH }),
  create(ctx, io) {
    const { path, signal } = io.inputs;
    const scrubbed = new Float32Array(ctx.blockSize);
    let writer: WavWriter | null = null;
    /** Path of the current (or refused) file; null when nothing was attempted since the last stop. */
    let currentPath: string | null = null;
    let recording = true; // false between stop() and start()

    const close = () => {
      const open = writer;
      writer = null;
      if (open) {
        try {
          open.close();
        } catch (error) {
          ctx.warn(`could not finish \`${open.path}\`: ${(error as Error).message}`);
        }
      }
    };

    const open = (requested: string) => {
      close();
      currentPath = requested;
      ctx.publish({ 'File Path': requested });
      if (!ctx.host.openWav) {
        ctx.warn(`cannot write \`${requested}\`: this engine has no file output`);
        return;
      }
      try {
        writer = ctx.host.openWav(requested, ctx.sampleRate);
        if (writer.keptExisting !== undefined) {
          // The host never overwrites a file it did not write: it chose the next free name.
          ctx.warn(
            `\`${requested}\` exists and was not recorded here: recording to \`${writer.path}\` instead`,
          );
        }
        if (writer.resumedFrames !== undefined) {
          // The server replaced its render worker: the take goes on in the same file, after a gap.
          const seconds = (writer.resumedFrames / ctx.sampleRate).toFixed(1);
          ctx.warn(`continuing \`${writer.path}\` after the render worker restarted (${seconds} s kept)`);
        }
        if (writer.path !== requested) ctx.publish({ 'File Path': writer.path });
      } catch (error) {
        // Host errors name the path already ("cannot write `x`: …", "file path `x` leaves …").
        const reason = (error as Error).message;
        ctx.warn(reason.includes(requested) ? reason : `cannot write \`${requested}\`: ${reason}`);
      }
    };

    return {
      process(frames) {
        if (!recording) return;
        const value = path.value;
        const requested = typeof value === 'string' && value !== '' ? value : DEFAULT_PATH;
        if (requested !== currentPath) open(requested);
        if (!writer) return;
        let samples = signal.buf;
        for (let i = 0; i < frames; i++) {
          const x = samples[i];
          if (x - x !== 0) {
            // Rare: copy with non-finite samples as 0.
            for (let j = 0; j < frames; j++) scrubbed[j] = samples[j] - samples[j] === 0 ? samples[j] : 0;
            samples = scrubbed;
            break;
          }
        }
        try {
          writer.write(samples, frames);
        } catch (error) {
          ctx.warn(`stopped writing \`${writer.path}\`: ${(error as Error).message}`);
          close();
        }
      },
      start() {
        if (recording) return;
        recording = true;
        currentPath = null; // reopen (afresh) on the next block
      },
      stop() {
        close();
        recording = false;
      },
      dispose() {
        close();
        recording = false;
      },
    };
  },
});
