// A take goes on in the same file when the server replaces its render worker: the old worker's FileGuard
// reports its records, the new one gets them (FileRecord.open) and continues the file — only if it is still
// the same file — appending after the samples that reached the disk, a valid WAV throughout.

import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileGuard, type FileRecord } from '../../src/io/secure-files.js';
import { readWav, wavWriterForFile } from '../../src/io/wav-writer.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'synchrotron-resume-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const RATE = 8000;
const ramp = (from: number, count: number) =>
  Float32Array.from({ length: count }, (_, i) => (from + i) / 1e6);

/** A guard that reports its records into `records`, as the render worker does to the server. */
function reportingGuard(records: Map<string, FileRecord>, known?: Map<string, FileRecord>): FileGuard {
  return new FileGuard({
    root,
    known: known ? [...known] : undefined,
    onRecord: (target, record) => records.set(target, record),
  });
}

describe('FileGuard: continuing a take after a worker restart', () => {
  it('appends after what reached the disk, in the same file, never truncating it', () => {
    const records = new Map<string, FileRecord>();
    const first = wavWriterForFile(reportingGuard(records).openForWriting('take.wav'), RATE, 1);
    first.write(ramp(0, 3000), 3000);
    first.flush(); // what reached the disk; the old worker then dies without closing
    first.write(ramp(3000, 500), 500); // buffered only: lost with the worker
    expect([...records.values()].every((r) => r.open)).toBe(true);

    const second = wavWriterForFile(reportingGuard(new Map(), records).openForWriting('take.wav'), RATE, 1);
    expect(second.path).toBe('take.wav');
    expect(second.resumedFrames).toBe(3000);
    second.write(ramp(10_000, 2000), 2000);
    second.close();
    const samples = readWav(join(root, 'take.wav')).channels[0];
    expect(samples.length).toBe(5000);
    expect(samples[2999]).toBeCloseTo(2999 / 1e6, 9);
    expect(samples[3000]).toBeCloseTo(10_000 / 1e6, 9);
    expect(readdirSync(root)).toEqual(['take.wav']);
  });

  it('continues from the samples on disk even when the header lagged behind them (cut to whole frames)', () => {
    const records = new Map<string, FileRecord>();
    const file = reportingGuard(records).openForWriting('take.wav');
    const first = wavWriterForFile(file, RATE, 1);
    first.write(ramp(0, 1000), 1000);
    first.flush();
    // Samples written after the last header update, the last one torn mid-sample (a crash mid-write).
    writeSync(file.fd, Buffer.alloc(4 * 200 + 2, 1), 0, 4 * 200 + 2, 58 + 4 * 1000);
    const second = wavWriterForFile(reportingGuard(new Map(), records).openForWriting('take.wav'), RATE, 1);
    expect(second.resumedFrames).toBe(1200);
    expect(readWav(join(root, 'take.wav')).channels[0].length).toBe(1200); // valid at once
    second.close();
    expect(readWav(join(root, 'take.wav')).channels[0].length).toBe(1200);
  });

  it('does not continue a file replaced meanwhile (another inode): the take goes to the next free name', () => {
    const records = new Map<string, FileRecord>();
    const first = wavWriterForFile(reportingGuard(records).openForWriting('take.wav'), RATE, 1);
    first.write(ramp(0, 100), 100);
    first.flush();
    renameSync(join(root, 'take.wav'), join(root, 'moved.wav'));
    writeFileSync(join(root, 'take.wav'), 'someone else');
    const second = wavWriterForFile(reportingGuard(new Map(), records).openForWriting('take.wav'), RATE, 1);
    expect(second.path).toBe('take-1.wav');
    expect(second.keptExisting).toBe('take.wav');
    expect(second.resumedFrames).toBeUndefined();
    second.close();
  });

  it('continues once: after that first block a later take there starts afresh, as the server’s own file', () => {
    const records = new Map<string, FileRecord>();
    const first = wavWriterForFile(reportingGuard(records).openForWriting('take.wav'), RATE, 1);
    first.write(ramp(0, 100), 100);
    first.flush();
    const guard = reportingGuard(new Map(), records);
    guard.settleResumable(); // the new worker's first block passed without a node continuing it
    const again = wavWriterForFile(guard.openForWriting('take.wav'), RATE, 1);
    expect(again.path).toBe('take.wav');
    expect(again.resumedFrames).toBeUndefined();
    again.close();
    expect(readWav(join(root, 'take.wav')).channels[0].length).toBe(0);
  });
});
