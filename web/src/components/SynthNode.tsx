// One node of the graph: name and type, ports (inputs left, outputs right, coloured by kind, their
// descriptions as tooltips), a control on every unlinked stream input whose port declares a range, a
// value node's value as a slider (numbers) or a field (anything else), exports, and a scope toggle on
// stream outputs. Text is at least 11 px at zoom 1, so a fit at zoom ≥ 0.82 keeps it ≥ 9 px on screen.

import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo, useEffect, useRef, useState } from 'react';
import type { ApiNode, ApiPort, NodeTypeInfo } from '../api';
import { type ControlRange, inputRange } from '../controls';
import { addInputValue, rename, valueSender } from '../edits';
import { armRange } from '../midimap';
import { formatValue, store } from '../store';
import { ValueControl } from './ValueControl';
import { ValueField } from './ValueField';

export type SynthNodeData = {
  node: ApiNode;
  info?: NodeTypeInfo;
  /** Port names of this node's watched outputs. */
  watched: string[];
  faulted: boolean;
  /** A value node holding a number: the range its slider covers. */
  range: ControlRange | null;
  /**
   * Drawn inside a patch (inner-patch.ts): values and names are shown, nothing is editable, no scope —
   * the node is the file's, not the running graph's.
   */
  readOnly?: boolean;
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
  if (spec && (spec.min !== undefined || spec.max !== undefined))
    parts.push(`range: ${spec.min ?? '…'} to ${spec.max ?? '…'}`);
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
        title={`${name} — double-click to rename`}
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
        <div key={key} title={`${key}: ${formatValue(value)}`}>
          <dt>{key}</dt>
          <dd>{formatValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A value node's number, as a slider over its range. */
function NumberValue({ node, range }: { node: ApiNode; range: ControlRange }) {
  const sender = useRef(valueSender(node.name));
  const name = useRef(node.name);
  if (name.current !== node.name) {
    name.current = node.name;
    sender.current = valueSender(node.name);
  }
  return (
    <ValueControl
      id={node.name}
      label={`value of ${node.name}`}
      value={node.exports.Value as number}
      range={range}
      testId={`control-${node.name}`}
      onChange={(value, done) => sender.current.send(value, done)}
      onLearn={armRange}
    />
  );
}

/**
 * An unlinked input's setting. The server has no per-input value: the first change makes a value node
 * linked into the input (see edits.addInputValue), and the rest of the gesture sets that node.
 */
function InputValue({
  node,
  port,
  range,
  value,
}: {
  node: ApiNode;
  port: string;
  range: ControlRange;
  value: number;
}) {
  const created = useRef<Promise<string> | null>(null);
  const sender = useRef<ReturnType<typeof valueSender> | null>(null);
  const sink: ApiPort = { node_name: node.name, port_name: port };
  const onChange = (next: number, done: boolean) => {
    if (!created.current) {
      const at = store.state.positions[node.name] ?? { x: 0, y: 0 };
      created.current = addInputValue(sink, next, { x: at.x - 170, y: at.y });
      created.current.then(
        (name) => {
          sender.current = valueSender(name);
        },
        () => {
          created.current = null;
        },
      );
      return created.current;
    }
    return created.current.then(() => sender.current?.send(next, done));
  };
  return (
    <ValueControl
      id={`${node.name}.${port}`}
      label={`${node.name}.${port}`}
      value={value}
      range={range}
      ghost
      testId={`control-${node.name}.${port}`}
      onChange={onChange}
      onLearn={armRange}
    />
  );
}

function SynthNodeView({ data, selected }: NodeProps<SynthFlowNode>) {
  const { node, info, watched, faulted, range, readOnly } = data;
  const isData = node.type === 'DataNode';
  const numeric = isData && typeof node.exports.Value === 'number' && range && !readOnly;
  const inputs = node.inputs;
  const outputs = isData ? [] : node.outputs;
  const rows = Math.max(inputs.length, outputs.length);
  const dataOut = isData ? node.outputs[0] : undefined;
  return (
    <div
      className={`synth-node${selected ? ' selected' : ''}${faulted ? ' faulted' : ''}${isData ? ' value-node' : ''}`}
      data-testid={`node-${node.name}`}
      data-node-type={node.type}
      title={info?.description}
    >
      <header className={`node-header cat-${info?.category ?? 'other'}`}>
        {!isData && <span className="node-type">{node.type.replace(/Node$/, '')}</span>}
        {readOnly ? (
          <span className="node-name" title={node.name}>
            {node.name}
          </span>
        ) : (
          <NameEditor name={node.name} />
        )}
      </header>
      {dataOut && (
        <div className="value-row">
          {numeric ? (
            <NumberValue node={node} range={range} />
          ) : readOnly ? (
            <span className="value-text" title={formatValue(node.exports.Value)}>
              {formatValue(node.exports.Value)}
            </span>
          ) : (
            <ValueField name={node.name} value={node.exports.Value} />
          )}
          <Handle
            type="source"
            position={Position.Right}
            id={dataOut.port_name}
            className={`handle kind-${kindOf(dataOut.type)}`}
            title={portTitle(info, 'outputs', dataOut.port_name, dataOut.type)}
          />
        </div>
      )}
      {rows > 0 && (
        <div className="node-ports">
          {Array.from({ length: rows }, (_, i) => {
            const input = inputs[i];
            const output = outputs[i];
            const spec = input && info?.inputs.find((p) => p.name === input.port_name);
            const control =
              input && !input.source && input.type === 'StreamInput' && spec && !readOnly
                ? inputRange(spec)
                : null;
            // Inside a patch an unlinked input shows what it reads: the literal it was made with.
            const literal =
              readOnly && input && !input.source && node.args && Object.hasOwn(node.args, input.port_name)
                ? node.args[input.port_name]
                : undefined;
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
                      {literal !== undefined && (
                        <span className="port-literal" title={`${input.port_name} = ${formatValue(literal)}`}>
                          {formatValue(literal)}
                        </span>
                      )}
                      {control && (
                        <InputValue
                          node={node}
                          port={input.port_name}
                          range={control}
                          value={typeof spec?.default === 'number' ? spec.default : 0}
                        />
                      )}
                    </>
                  )}
                </div>
                <div className="port port-out">
                  {output && (
                    <>
                      {output.type === 'StreamOutput' && !readOnly && (
                        <button
                          type="button"
                          className={`scope-toggle nodrag${watched.includes(output.port_name) ? ' on' : ''}`}
                          title={`Scope ${node.name}.${output.port_name}`}
                          aria-label={`scope ${node.name}.${output.port_name}`}
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
      )}
      {/* Inside a patch nothing renders: the file's graph has no live exports to show. */}
      {!readOnly && <ExportsView exports={node.exports} skip={isData ? 'Value' : undefined} />}
    </div>
  );
}

export const SynthNode = memo(SynthNodeView);
