import { describe, expect, it } from 'vitest';
import { CONTRACT_ERROR_CODES } from '../api/codes';
import { STAFF_ROLES, USER_ROLES } from '../shared/roles';
import en from './en.json';
import { interpolate, isMessageKey, translate } from './index';
import zhCN from './zh-CN.json';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  const zhKeys = Object.keys(zhCN).sort();
  const enKeys = Object.keys(en).sort();

  it('zh-CN and en have exactly the same keys', () => {
    expect(enKeys.filter((k) => !zhKeys.includes(k))).toEqual([]);
    expect(zhKeys.filter((k) => !enKeys.includes(k))).toEqual([]);
  });

  it('no message is empty', () => {
    for (const [k, v] of [...Object.entries(zhCN), ...Object.entries(en)]) {
      expect(v.trim(), k).not.toBe('');
    }
  });

  it('both languages use the same placeholders', () => {
    for (const k of zhKeys) {
      expect(placeholders((en as Record<string, string>)[k] ?? ''), k).toEqual(
        placeholders((zhCN as Record<string, string>)[k] ?? ''),
      );
    }
  });

  it('every error code of the API contract has a headline', () => {
    for (const code of CONTRACT_ERROR_CODES) expect(isMessageKey(`error.${code}`), code).toBe(true);
  });

  it('every role and tenant status has a label', () => {
    for (const r of USER_ROLES) expect(isMessageKey(`role.user.${r}`), r).toBe(true);
    for (const r of STAFF_ROLES) expect(isMessageKey(`role.staff.${r}`), r).toBe(true);
    for (const s of ['pending', 'active', 'suspended']) expect(isMessageKey(`tenant.status.${s}`), s).toBe(true);
  });
});

describe('interpolate', () => {
  it.each([
    ['Welcome, {name}', { name: 'Li' }, 'Welcome, Li'],
    ['{a}{b}{a}', { a: 1, b: 'x' }, '1x1'],
    ['no vars', undefined, 'no vars'],
    ['{missing} stays', {}, '{missing} stays'],
  ])('%s', (tpl, vars, want) => {
    expect(interpolate(tpl, vars)).toBe(want);
  });

  it('translates in both languages', () => {
    expect(translate('zh-CN', 'dashboard.console.welcome', { name: '张三' })).toBe('欢迎，张三');
    expect(translate('en', 'dashboard.console.welcome', { name: 'Zhang' })).toBe('Welcome, Zhang');
  });
});
