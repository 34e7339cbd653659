// Synchrolang — public surface of the language module (SPEC §3). The server, console, CLI and web UI
// use only these functions. The contract types (ScriptHost, CommandResult, ExecuteResult,
// SynchrolangError) live in contract.ts, unchanged, so the implementation files import them without a cycle.

export type { ApiPortInfo } from '../api/shapes.js';
export {
  apiPortType,
  fromApiPort,
  toApiConnection,
  toApiNode,
  toApiNodes,
  toApiPort,
  toApiPortInfo,
} from '../api/shapes.js';
export { type Completion, complete } from './complete.js';
export type { CommandResult, ExecuteResult, ScriptHost } from './contract.js';
export { SynchrolangError } from './contract.js';
//   execute(host: ScriptHost, script: string): ExecuteResult      — all-or-nothing; throws SynchrolangError
export { describeNode, describeNodeLinks, execute, VARIABLES } from './evaluate.js';
//   exportScript(graph: Graph): string                             — `export`/`save` text, re-readable
export { exportScript } from './export.js';
export { errorMessage, formatError, formatResults } from './format.js';
export { type CommandAst, LineIndex, MAX_ARRAY_DEPTH, parse } from './parser.js';
//   PatchLoader: patch files read, parsed and validated for PatchNode/VoicesNode (a host's loadPatch)
export { MAX_PATCH_BYTES, PatchLoader, type PatchLoaderOptions, type PatchView } from './patch-loader.js';
//   parseSui(text) → { script, positions: Record<string, {x, y}> | null }; loadPatch(engine | host, text)
export { loadPatch, type PatchTarget, type Positions, parseSui } from './sui.js';
//   tokenize(script: string): Token[]                              — for highlighting (browser-safe module)
export { KEYWORDS, keyword, lex, type RawToken, type Token, type TokenKind, tokenize } from './tokens.js';
export { formatNumber, formatValue, quoteString } from './values.js';
