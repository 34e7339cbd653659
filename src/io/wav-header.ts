// The header of a 32-bit float WAV file, without Node APIs: the streaming writer (wav-writer.ts) and the
// browser engine (recordings and offline renders as Blobs) write the same bytes.
//
// Layout: 'RIFF' size 'WAVE', a fmt chunk of 18 bytes (IEEE float, cbSize 0), a fact chunk (frames), and
// the data chunk's header; the samples follow, interleaved little-endian float32.

export const WAV_HEADER_BYTES = 12 + (8 + 18) + (8 + 4) + 8;
/** Largest data chunk a RIFF size field can describe. */
export const WAV_MAX_DATA_BYTES = 0xffffffff - WAV_HEADER_BYTES;
const FORMAT_IEEE_FLOAT = 3;

/** The header for `dataBytes` bytes of float32 samples in `channels` channels at `sampleRate` Hz. */
export function floatWavHeader(sampleRate: number, channels: number, dataBytes: number): Uint8Array {
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const text = (at: number, value: string) => {
    for (let i = 0; i < value.length; i++) header[at + i] = value.charCodeAt(i);
  };
  const blockAlign = channels * 4;
  text(0, 'RIFF');
  view.setUint32(4, WAV_HEADER_BYTES - 8 + dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 18, true);
  view.setUint16(20, FORMAT_IEEE_FLOAT, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 32, true);
  view.setUint16(36, 0, true); // cbSize
  text(38, 'fact');
  view.setUint32(42, 4, true);
  view.setUint32(46, Math.floor(dataBytes / blockAlign), true);
  text(50, 'data');
  view.setUint32(54, dataBytes, true);
  return header;
}
