// Public library API.
export * from './engine/definition.js';
export * from './engine/errors.js';
export * from './engine/graph.js';
export * from './engine/limits.js';
export * from './engine/midi.js';
export * from './engine/prepare.js';
export * from './engine/registry.js';
export * from './engine/renderer.js';
export * from './engine/types.js';
export * from './lang/index.js';
export { builtinNodes } from './nodes/index.js';
export * from './synchrotron.js';
