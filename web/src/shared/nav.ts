import type { ReactNode } from 'react';
import type { MessageKey } from '../i18n';

export interface NavItem {
  /** The route path; also the menu key. Group entries use a path prefix. */
  path: string;
  label: MessageKey;
  icon?: ReactNode;
  children?: NavItem[];
}

/** The deepest nav path matching the location: exact, or a prefix followed by "/". */
export function activeNavPath(items: NavItem[], pathname: string): string {
  let best = '';
  const visit = (list: NavItem[]) => {
    for (const it of list) {
      if (it.children) {
        visit(it.children);
        continue;
      }
      const match = pathname === it.path || pathname.startsWith(`${it.path}/`);
      if (match && it.path.length > best.length) best = it.path;
    }
  };
  visit(items);
  return best;
}

/** Paths of the groups containing the active entry, so the sider opens on it. */
export function groupsOf(items: NavItem[], active: string): string[] {
  return items.filter((it) => it.children?.some((c) => c.path === active)).map((it) => it.path);
}
