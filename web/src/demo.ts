// The console's `demo`: a small patch in .sui form (positions included) that sounds good when started —
// a plucked pulse-wave arpeggio over a sine bass, Am–F–C–G, two seconds a chord.

// Compact, so the whole patch shows at a readable zoom on a 1280×720 laptop: the lead's chain on top,
// the bass's below, signal flowing left to right.
const positions = {
  tempo: [0, 0],
  clock: [117, 0],
  notes: [117, 70],
  attack: [117, 150],
  decay: [117, 210],
  melody: [280, 0],
  pwm: [280, 88],
  env: [280, 150],
  lead_gain: [280, 252],
  lead: [455, 0],
  env_gain: [455, 92],
  lead_amp: [610, 40],
  mix: [732, 200],
  out: [854, 200],
  bass_rate: [0, 320],
  bass_clock: [117, 300],
  bass_notes: [117, 372],
  bass_seq: [280, 320],
  bass: [455, 320],
  bass_gain: [455, 395],
  bass_amp: [610, 330],
};

const melody = [
  [220, 261.63, 329.63, 440, 523.25, 440, 329.63, 261.63],
  [174.61, 220, 261.63, 349.23, 440, 349.23, 261.63, 220],
  [196, 261.63, 329.63, 392, 523.25, 392, 329.63, 261.63],
  [196, 246.94, 293.66, 392, 493.88, 392, 293.66, 246.94],
].flat();

export const DEMO_SUI = `/*** ${JSON.stringify(positions)} ***/
// Demo: press Start (or type \`start\`). Try editing tempo, decay or pwm while it plays.
new 4 tempo;
new [${melody.join(', ')}] notes;
new 0.004 attack;
new 0.28 decay;
new 0.16 lead_gain;
new 0.3 pwm;
new 0.5 bass_rate;
new [110, 87.31, 130.81, 98] bass_notes;
new 0.3 bass_gain;
new ClockNode clock;
new ClockNode bass_clock;
new SequenceNode melody;
new TriggerEnvelopeNode env;
new SequenceNode bass_seq;
new SquareNode lead;
new MultiplyNode env_gain;
new SineNode bass;
new MultiplyNode lead_amp;
new MultiplyNode bass_amp;
new AddNode mix;
new PlaybackNode out;

link tempo.out -> clock.frequency;
link clock.out -> melody.step;
link notes.out -> melody.sequence;
link clock.out -> env.trigger;
link attack.out -> env.attack;
link decay.out -> env.decay;
link melody.out -> lead.frequency;
link pwm.out -> lead.pwm;
link env.envelope -> env_gain.a;
link lead_gain.out -> env_gain.b;
link lead.out -> lead_amp.a;
link env_gain.out -> lead_amp.b;
link bass_rate.out -> bass_clock.frequency;
link bass_clock.out -> bass_seq.step;
link bass_notes.out -> bass_seq.sequence;
link bass_seq.out -> bass.frequency;
link bass.out -> bass_amp.a;
link bass_gain.out -> bass_amp.b;
link lead_amp.out -> mix.a;
link bass_amp.out -> mix.b;
link mix.out -> out.left;
link mix.out -> out.right;
`;
