// One node of the graph: type and name, ports (inputs left, outputs right, coloured by kind, their
// descriptions as tooltips), exports, a scope toggle on stream outputs, and a DataNode's value in place.

import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo, useEffect, useRef, useState } from 'react';
import type { ApiNode, NodeTypeInfo } from '../api';
import { rename } from '../edits';
import { formatValue, store } from '../store';
import { ValueField } from './ValueField';

export type SynthNodeData = {
  node: ApiNode;
  info?: NodeTypeInfo;
  /** Port names of this node's watched outputs. */
  watched: string[];
  faulted: boolean;
};
export type SynthFlowNode = Node<SynthNodeData, 'synth'>;

export const kindOf = (portType: string) =>
  portType.startsWith('Midi') ? 'midi' : portType.startsWith('Data') ? 'data' : 'stream';

function portTitle(
  info: NodeTypeInfo | undefined,
  direction: 'inputs' | 'outputs',
  name: string,
  type: string,
) {
  const spec = info?.[direction].find((p) => p.name === name);
  const parts = [`${name} — ${type}`];
  if (spec?.unit) parts[0] += ` (${spec.unit})`;
  if (spec?.description) parts.push(spec.description);
  if (spec && spec.default !== undefined && direction === 'inputs')
    parts.push(`default: ${formatValue(spec.default)}`);
  return parts.join('\n');
}

function NameEditor({ name }: { name: string }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(name);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);
  if (!editing) {
    return (
      <button
        type="button"
        className="node-name"
        title="Double-click to rename"
        onDoubleClick={(e) => {
          e.stopPropagation();
          setText(name);
          setEditing(true);
        }}
      >
        {name}
      </button>
    );
  }
  const commit = () => {
    setEditing(false);
    const to = text.trim();
    if (to && to !== name) rename(name, to).catch(() => undefined);
  };
  return (
    <input
      ref={input}
      className="node-name-input nodrag"
      aria-label="node name"
      value={text}
      spellCheck={false}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setEditing(false);
      }}
    />
  );
}

function ExportsView({ exports, skip }: { exports: Record<string, unknown>; skip?: string }) {
  const entries = Object.entries(exports).filter(([key]) => key !== skip);
  if (!entries.length) return null;
  return (
    <dl className="node-exports">
      {entries.map(([key, value]) => (
        <div key={key} title={formatValue(value)}>
          <dt>{key}</dt>
          <dd>{formatValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function SynthNodeView({ data, selected }: NodeProps<SynthFlowNode>) {
  const { node, info, watched, faulted } = data;
  const rows = Math.max(node.inputs.length, node.outputs.length);
  const isData = node.type === 'DataNode';
  return (
    <div
      className={`synth-node${selected ? ' selected' : ''}${faulted ? ' faulted' : ''}`}
      data-testid={`node-${node.name}`}
      data-node-type={node.type}
      title={info?.description}
    >
      <header className={`node-header cat-${info?.category ?? 'other'}`}>
        <span className="node-type">{node.type.replace(/Node$/, '')}</span>
        <NameEditor name={node.name} />
      </header>
      {isData && <ValueField name={node.name} value={node.exports.Value} />}
      <div className="node-ports">
        {Array.from({ length: rows }, (_, i) => {
          const input = node.inputs[i];
          const output = node.outputs[i];
          return (
            <div className="port-row" key={`${input?.port_name ?? ''}|${output?.port_name ?? ''}`}>
              <div className="port port-in">
                {input && (
                  <>
                    <Handle
                      type="target"
                      position={Position.Left}
                      id={input.port_name}
                      className={`handle kind-${kindOf(input.type)}`}
                      title={portTitle(info, 'inputs', input.port_name, input.type)}
                    />
                    <span
                      className="port-label"
                      title={portTitle(info, 'inputs', input.port_name, input.type)}
                    >
                      {input.port_name}
                    </span>
                  </>
                )}
              </div>
              <div className="port port-out">
                {output && (
                  <>
                    {output.type === 'StreamOutput' && (
                      <button
                        type="button"
                        className={`scope-toggle nodrag${watched.includes(output.port_name) ? ' on' : ''}`}
                        title={`Scope ${node.name}.${output.port_name}`}
                        aria-pressed={watched.includes(output.port_name)}
                        data-testid={`scope-toggle-${node.name}.${output.port_name}`}
                        onClick={(e) => {
                          e.stopPropagation();
                          store.toggleWatch({ node_name: node.name, port_name: output.port_name });
                        }}
                      >
                        <svg viewBox="0 0 16 10" aria-hidden="true">
                          <path d="M1 5 Q 4.5 -2 8 5 T 15 5" />
                        </svg>
                      </button>
                    )}
                    <span
                      className="port-label"
                      title={portTitle(info, 'outputs', output.port_name, output.type)}
                    >
                      {output.port_name}
                    </span>
                    <Handle
                      type="source"
                      position={Position.Right}
                      id={output.port_name}
                      className={`handle kind-${kindOf(output.type)}`}
                      title={portTitle(info, 'outputs', output.port_name, output.type)}
                    />
                  </>
                )}
              </div>
            </div>
          );
        })}
      </div>
      <ExportsView exports={node.exports} skip={isData ? 'Value' : undefined} />
    </div>
  );
}

export const SynthNode = memo(SynthNodeView);
