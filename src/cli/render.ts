// Placeholder until Synchrolang lands (issue 3).
export async function renderCommand(_args: string[]): Promise<number> {
  process.stderr.write('synchrotron render: not implemented yet\n');
  return 2;
}
