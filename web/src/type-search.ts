// Finding a node type by a few letters (palette search and quick-add share it).

import type { NodeTypeInfo } from './api';

export function matchesType(info: NodeTypeInfo, query: string) {
  if (!query) return true;
  const q = query.toLowerCase();
  return (
    info.type.toLowerCase().includes(q) ||
    info.category.toLowerCase().includes(q) ||
    info.description.toLowerCase().includes(q)
  );
}

/** How well a type answers a query: its name first (prefix best), then its category, then its description. */
export function rankType(info: NodeTypeInfo, query: string) {
  const q = query.toLowerCase();
  const name = info.type.toLowerCase();
  if (name.startsWith(q) || name.replace(/node$/, '') === q) return 0;
  if (name.includes(q)) return 1;
  if (info.category.toLowerCase().includes(q)) return 2;
  return 3;
}

/** Types for a query, best first (by rank, then name). */
export function searchTypes(types: NodeTypeInfo[], query: string): NodeTypeInfo[] {
  return types
    .filter((t) => matchesType(t, query.trim()))
    .sort((a, b) => rankType(a, query.trim()) - rankType(b, query.trim()) || a.type.localeCompare(b.type));
}
