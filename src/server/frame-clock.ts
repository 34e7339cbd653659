// Wall clock ↔ engine frames, in the render worker: when does engine frame f play, and which frame plays at
// Unix time t? OSC bundles carry NTP time tags (absolute wall time), so one mapping serves every sender —
// unlike MIDI `time`, which is on each sender's own clock and is anchored per sender (midi-host.ts). Two
// bundles tagged 100 ms apart land exactly 4410 frames apart at 44.1 kHz, and two senders' bundles with the
// same tag land on the same frame.
//
// The mapping is one anchor: (wall ms, engine frame). The render loop reports, each time it wakes, which
// engine frame the output is playing now (the output's position, minus what is rendered ahead); the anchor
// is set from that and kept while the report stays within TOLERANCE of it — so scheduled frames follow
// time-tag differences exactly — and moved when they part (the transport stopped, the output stalled, or a
// sound card's clock drifted from the wall clock). Thread: the render worker only.

/** How far (ms) the output may wander from the anchor before it is re-anchored. */
const TOLERANCE_MS = 15;

export class FrameClock {
  private readonly framesPerMs: number;
  private anchorWallMs = Number.NaN;
  private anchorFrame = 0;

  constructor(sampleRate: number) {
    this.framesPerMs = sampleRate / 1000;
  }

  /** Unix time in ms now, sub-millisecond, on this thread's monotonic clock. */
  static now(): number {
    return performance.timeOrigin + performance.now();
  }

  /** True once an anchor is set (the engine has rendered while running). */
  get anchored(): boolean {
    return !Number.isNaN(this.anchorWallMs);
  }

  /** The loop observed that engine frame `playingFrame` (fractional) plays at wall time `wallMs`. */
  observe(wallMs: number, playingFrame: number): void {
    if (this.anchored) {
      const expected = this.frameAt(wallMs);
      if (Math.abs(expected - playingFrame) <= TOLERANCE_MS * this.framesPerMs) return;
    }
    this.anchorWallMs = wallMs;
    this.anchorFrame = playingFrame;
  }

  /** Forget the anchor (the transport stopped: engine frames no longer advance with the wall clock). */
  reset(): void {
    this.anchorWallMs = Number.NaN;
  }

  /** The engine frame (fractional) that plays at Unix time `wallMs`; NaN before an anchor. */
  frameAt(wallMs: number): number {
    return this.anchorFrame + (wallMs - this.anchorWallMs) * this.framesPerMs;
  }

  /** Unix time (ms) at which engine frame `frame` plays; NaN before an anchor. */
  timeOf(frame: number): number {
    return this.anchorWallMs + (frame - this.anchorFrame) / this.framesPerMs;
  }
}
