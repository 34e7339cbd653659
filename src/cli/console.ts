// `synchrotron console [--url http://127.0.0.1:2031] [--token TOKEN]`: the terminal client (src/console).
import { DEFAULT_URL, runConsole } from '../console/index.js';

const USAGE = `usage: synchrotron console [--url ${DEFAULT_URL}] [--token TOKEN]
  Interactive on a terminal; with a pipe (synchrotron console < patch.syn) runs the script and exits
  non-zero on error. The token may also come from $SYNCHROTRON_TOKEN.
`;

export async function consoleCommand(args: string[]): Promise<number> {
  let url = process.env.SYNCHROTRON_URL ?? DEFAULT_URL;
  let token = process.env.SYNCHROTRON_TOKEN;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--url') url = value();
    else if (flag === '--token') token = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else {
      process.stderr.write(`synchrotron console: unknown option \`${arg}\`\n${USAGE}`);
      return 2;
    }
  }
  if (!url || !/^https?:\/\//.test(url)) {
    process.stderr.write(
      `synchrotron console: --url must be an http:// or https:// URL, got \`${url ?? ''}\`\n`,
    );
    return 2;
  }
  return runConsole({ url, token });
}
