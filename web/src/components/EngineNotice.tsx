// Why the engine is not running although nobody pressed Stop (EngineStatus.reason from /status and /ws):
// the render worker failed too often, or a session was restored stopped after the server did not exit
// cleanly. A banner under the top bar until Start (which clears the reason on the server). Kept apart from
// the top bar and styled inline so it can move with the editor's layout without touching it.

import { useStore } from '../store';

export function EngineNotice() {
  const reason = useStore((s) => s.status?.reason);
  if (!reason) return null;
  return (
    <div
      role="alert"
      data-testid="engine-notice"
      style={{
        position: 'fixed',
        top: '3.2rem',
        left: '50%',
        transform: 'translateX(-50%)',
        zIndex: 100,
        maxWidth: 'min(48rem, 90vw)',
        padding: '0.5rem 0.9rem',
        background: 'var(--panel)',
        color: 'var(--fg)',
        border: '1px solid var(--border)',
        borderLeft: '4px solid var(--warn)',
        borderRadius: 'var(--radius)',
        boxShadow: 'var(--shadow)',
      }}
    >
      <strong>Not rendering.</strong> {reason}
    </div>
  );
}
