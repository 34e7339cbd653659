// The set of node types an engine knows. Built-ins are registered by default; libraries may add more.

import type { NodeDefinition, PortSpec } from './definition.js';
import { SynchrotronError, suggest } from './errors.js';
import type { PortDirection } from './types.js';

/** JSON description of a node type, as `GET /types` and `synchrotron nodes` show it. */
export interface NodeTypeInfo {
  type: string;
  category: string;
  description: string;
  inputs: Array<PortSpec & { name: string }>;
  outputs: Array<PortSpec & { name: string }>;
  /** True when each node of the type has ports of its own beyond these (a PatchNode's inlets and
   * outlets, an InletNode's kind): GET /nodes shows a node's real ports. */
  dynamic?: boolean;
}

export class NodeRegistry {
  private readonly types = new Map<string, NodeDefinition>();

  constructor(definitions: Iterable<NodeDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: NodeDefinition): void {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(definition.type)) {
      throw new Error(`node type names start with an upper-case letter: ${definition.type}`);
    }
    this.types.set(definition.type, definition);
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  /** The definition of `type`, or a SynchrotronError suggesting the nearest known type. */
  get(type: string): NodeDefinition {
    const definition = this.types.get(type);
    if (definition) return definition;
    const suggestion = suggest(type, this.types.keys());
    throw new SynchrotronError(
      'unknown_type',
      `unknown node type \`${type}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''}`,
      suggestion ? { suggestion } : {},
    );
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  definitions(): NodeDefinition[] {
    return [...this.types.values()];
  }

  info(type: string): NodeTypeInfo {
    const definition = this.get(type);
    const ports = (specs: Record<string, PortSpec>) =>
      Object.entries(specs).map(([name, spec]) => ({ name, ...spec }));
    return {
      type: definition.type,
      category: definition.category,
      description: definition.description,
      inputs: ports(definition.inputs),
      outputs: ports(definition.outputs),
      ...(definition.ports ? { dynamic: true } : {}),
    };
  }

  port(type: string, port: string, direction: PortDirection): PortSpec | undefined {
    const definition = this.get(type);
    const specs = direction === 'input' ? definition.inputs : definition.outputs;
    // Own ports only: `toString` or `__proto__` is no port of any node.
    return Object.hasOwn(specs, port) ? specs[port] : undefined;
  }
}
