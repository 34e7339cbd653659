// A Vite/Rolldown plugin for bundles that only hold the control side (the page's entry, the editor's local
// backend): it drops the body of every node definition's `create` in src/nodes, so the render-side code of
// the nodes — their DSP, kernel bindings, helper classes — is tree-shaken out of a file that never renders.
// The control side reads a definition's ports, `ports`, `prepare` and descriptions; only the Renderer calls
// `create`, and it lives in the worklet and the offline worker, which are built without this plugin.
// A node type stays declared in one file (shared/DESIGN.md); the split is made here, at bundling.

import ts from 'typescript';

const NODE_FILE = /[\\/]src[\\/]nodes[\\/].+\.ts$/;
const STUB = "{throw new Error('this bundle holds the control side only: nodes render in the worklet');}";

/** The source with each `defineNode({ … create(…) { body } … })` body replaced by STUB. */
export function stripCreate(source, fileName) {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const bodies = [];
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'defineNode' &&
      node.arguments.length > 0 &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      for (const property of node.arguments[0].properties) {
        if (ts.isMethodDeclaration(property) && property.name.getText(file) === 'create' && property.body) {
          bodies.push(property.body);
        } else if (property.name?.getText(file) === 'create') {
          // A `create: …` property would keep its code; say so rather than leave the bundle silently larger.
          throw new Error(`${fileName}: write create as a method of defineNode's literal to strip it`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = source;
  for (const body of bodies.sort((a, b) => b.getStart(file) - a.getStart(file))) {
    out = out.slice(0, body.getStart(file)) + STUB + out.slice(body.getEnd());
  }
  return { code: out, stripped: bodies.length };
}

export function controlSideNodes() {
  return {
    name: 'synchrotron-control-side-nodes',
    // Before the TypeScript transform, which would otherwise hand us JavaScript.
    enforce: 'pre',
    transform(code, id) {
      const path = id.split('?')[0];
      if (!NODE_FILE.test(path)) return null;
      const { code: stripped, stripped: count } = stripCreate(code, path);
      return count > 0 ? { code: stripped, map: null } : null;
    },
  };
}
