// Placeholder until the server lands (issue 4).
export async function serveCommand(_args: string[]): Promise<number> {
  process.stderr.write('synchrotron serve: not implemented yet\n');
  return 2;
}
