// A context menu at the pointer: arrow keys move, Enter chooses, Escape or a click elsewhere closes.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';

export interface MenuItem {
  label: string;
  /** Shown right-aligned: the key that does the same. */
  shortcut?: string;
  disabled?: boolean;
  danger?: boolean;
  action(): void;
}

export type MenuEntry = MenuItem | 'separator';

export function ContextMenu({
  x,
  y,
  items,
  label,
  onClose,
}: {
  x: number;
  y: number;
  items: MenuEntry[];
  label: string;
  onClose(): void;
}) {
  const menu = useRef<HTMLDivElement>(null);
  const [at, setAt] = useState({ x, y });
  const enabled = items.filter((i): i is MenuItem => i !== 'separator' && !i.disabled);
  const [active, setActive] = useState(0);

  // Kept inside the window: a menu opened near an edge opens the other way.
  useLayoutEffect(() => {
    const box = menu.current?.getBoundingClientRect();
    if (!box) return;
    setAt({
      x: Math.max(4, Math.min(x, window.innerWidth - box.width - 4)),
      y: Math.max(4, Math.min(y, window.innerHeight - box.height - 4)),
    });
    menu.current?.focus();
  }, [x, y]);

  useEffect(() => {
    const away = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('blur', onClose);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('blur', onClose);
    };
  }, [onClose]);

  const choose = (item: MenuItem) => {
    onClose();
    item.action();
  };

  return (
    <div
      ref={menu}
      className="context-menu"
      role="menu"
      aria-label={label}
      tabIndex={-1}
      data-testid="context-menu"
      style={{ left: at.x, top: at.y }}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Escape') onClose();
        else if (e.key === 'ArrowDown') setActive((i) => (i + 1) % Math.max(1, enabled.length));
        else if (e.key === 'ArrowUp')
          setActive((i) => (i - 1 + enabled.length) % Math.max(1, enabled.length));
        else if (e.key === 'Enter' && enabled[active]) choose(enabled[active]);
        else return;
        e.preventDefault();
      }}
    >
      {items.map((item, i) =>
        item === 'separator' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: separators have no identity
          <hr key={`sep${i}`} className="menu-separator" />
        ) : (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            tabIndex={-1}
            disabled={item.disabled}
            className={`menu-item${enabled[active] === item ? ' active' : ''}${item.danger ? ' danger' : ''}`}
            onMouseEnter={() => {
              const index = enabled.indexOf(item);
              if (index >= 0) setActive(index);
            }}
            onClick={() => choose(item)}
          >
            <span>{item.label}</span>
            {item.shortcut && <kbd>{item.shortcut}</kbd>}
          </button>
        ),
      )}
    </div>
  );
}
