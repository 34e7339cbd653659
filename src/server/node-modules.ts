// Node types from modules outside the built-in set (EngineOptions.nodeModules): an embedding application's
// own types, or a test's. Loaded on the control side and in every render worker, so both know them.

import type { NodeDefinition } from '../engine/definition.js';
import type { NodeRegistry } from '../engine/registry.js';

function isDefinition(value: unknown): value is NodeDefinition {
  const v = value as Partial<NodeDefinition> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.type === 'string' &&
    typeof v.create === 'function' &&
    typeof v.inputs === 'object' &&
    typeof v.outputs === 'object'
  );
}

/** Imports each module (a URL or path) and registers every node definition it exports. */
export async function registerNodeModules(registry: NodeRegistry, modules: readonly string[]): Promise<void> {
  for (const specifier of modules) {
    const module = (await import(specifier)) as Record<string, unknown>;
    const found = Object.values(module).filter(isDefinition);
    if (found.length === 0) throw new Error(`${specifier} exports no node definition`);
    for (const definition of found) registry.register(definition);
  }
}
