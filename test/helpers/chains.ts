// Patches of independent chains for multi-core tests and benches: `count` chains, each `voices` sawtooths
// through their own ladder filter, summed by AddNodes, through a GainNode into the chain's own PlaybackNode.
// The chains meet only at the master bus, so each is a part a thread can render (src/engine/partition.ts).

export function chainsPatch(count: number, voices: number): string {
  const lines: string[] = [];
  for (let c = 0; c < count; c++) {
    lines.push(`new PlaybackNode play${c}`);
    let sum = '';
    for (let v = 0; v < voices; v++) {
      const id = `${c}_${v}`;
      lines.push(
        `new ${55 * (c + 1) + v * 3.3} f${id}`,
        `new SawtoothNode saw${id}`,
        `new LadderFilterNode lp${id}`,
      );
      lines.push(`link f${id}.out -> saw${id}.frequency`, `link saw${id}.out -> lp${id}.input`);
      if (v === 0) sum = `lp${id}.out`;
      else {
        lines.push(`new AddNode add${id}`, `link ${sum} -> add${id}.a`, `link lp${id}.out -> add${id}.b`);
        sum = `add${id}.out`;
      }
    }
    lines.push(`new ${1 / voices} level${c}`, `new MultiplyNode scale${c}`);
    lines.push(`link ${sum} -> scale${c}.a`, `link level${c}.out -> scale${c}.b`);
    lines.push(`link scale${c}.out -> play${c}.left`, `link scale${c}.out -> play${c}.right`);
  }
  return lines.join('\n');
}
