// Placeholder until Synchrolang lands (issue 3).
export async function checkCommand(_args: string[]): Promise<number> {
  process.stderr.write('synchrotron check: not implemented yet\n');
  return 2;
}
