// What an OSC address may look like (OSC 1.0): `/` then parts of printable ASCII without space and without
// the pattern characters # * , ? [ ] { }. Checked on the control-rate path, when an `address` changes.

const ADDRESS = /^(\/[!-~]+)+$/;
const RESERVED = /[#*,?[\]{}\s]/;

/** Why `value` is not an OSC address, or null when it is one. */
export function oscAddressProblem(value: unknown): string | null {
  if (typeof value !== 'string')
    return `\`address\` must be an OSC address like "/1/fader1", got ${JSON.stringify(value)}`;
  if (value.length > 256) return '`address` is longer than 256 characters';
  if (!ADDRESS.test(value) || RESERVED.test(value) || value.includes('//')) {
    return `\`${value.slice(0, 64)}\` is not an OSC address: it starts with / and has no spaces or # * , ? [ ] { }`;
  }
  return null;
}
