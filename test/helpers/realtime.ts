// Recordings made in real time in a browser: Chromium's audio thread, when the machine is loaded, sometimes
// skips render quanta for the whole audio graph (the context's clock jumps; the capture processor counts a
// gap). That is the machine, not the engine, and it breaks any continuity measurement on the recording.
// Such a recording is made again, a few times at most; the checks then run on one without a skip, so they
// keep their full strength. Rates and dropouts under load are measured by the benchmarks instead.

/** Runs `record` until its recording has no skipped quantum (`gaps` 0), at most `tries` times. */
export async function recordWithoutSkips<T extends { gaps: number }>(
  record: () => Promise<T>,
  tries = 3,
): Promise<T> {
  let result = await record();
  for (let attempt = 1; attempt < tries && result.gaps > 0; attempt++) {
    console.warn(`the browser's audio thread skipped ${result.gaps} quantum(s): recording again`);
    result = await record();
  }
  return result;
}
