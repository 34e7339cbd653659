// Placeholder until the console lands (issue 6).
export async function consoleCommand(_args: string[]): Promise<number> {
  process.stderr.write('synchrotron console: not implemented yet\n');
  return 2;
}
