import { describe, expect, it } from 'vitest';
import { activeNavPath, groupsOf, type NavItem } from './nav';
import { normalizePhone, passwordAcceptable, phoneAcceptable } from './validation';

describe('validation', () => {
  it.each([
    ['13800138000', true],
    ['138 0013 8000', true],
    ['138-0013-8000', true],
    ['+8613800138000', true],
    ['+85212345678', true],
    ['12345678901', false],
    ['1380013800', false],
    ['+0123456789', false],
    ['phone', false],
    ['', false],
  ])('phone %s → %s', (v, ok) => {
    expect(phoneAcceptable(v)).toBe(ok);
  });

  it('normalizes separators out of phone numbers', () => {
    expect(normalizePhone(' 138-0013 8000 ')).toBe('13800138000');
  });

  it.each([
    ['abc12345', true],
    ['Demo1234!', true],
    ['abcdefgh', false],
    ['12345678', false],
    ['abc1234', false],
  ])('password %s → %s', (v, ok) => {
    expect(passwordAcceptable(v)).toBe(ok);
  });
});

describe('navigation', () => {
  const nav: NavItem[] = [
    { path: '/console', label: 'nav.console.dashboard' },
    { path: '/console/lists', label: 'nav.console.lists' },
    {
      path: '/console/settings',
      label: 'nav.console.settings',
      children: [
        { path: '/console/settings/users', label: 'nav.console.users' },
        { path: '/console/settings/api-keys', label: 'nav.console.apikeys' },
      ],
    },
  ];

  it.each([
    ['/console', '/console'],
    ['/console/lists', '/console/lists'],
    ['/console/lists/42', '/console/lists'],
    ['/console/listsx', '/console'],
    ['/console/settings/api-keys', '/console/settings/api-keys'],
    ['/admin', ''],
  ])('%s selects %s', (pathname, want) => {
    expect(activeNavPath(nav, pathname)).toBe(want);
  });

  it('opens the group holding the active entry', () => {
    expect(groupsOf(nav, '/console/settings/users')).toEqual(['/console/settings']);
    expect(groupsOf(nav, '/console/lists')).toEqual([]);
  });
});
