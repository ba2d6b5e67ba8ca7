// A deliberately small i18n layer: two flat JSON dictionaries (zh-CN is the source, en must
// have the same keys — checked by tsc through the Dictionary type and by i18n.test.ts),
// `{name}` placeholders, the choice persisted in localStorage and sent as Accept-Language.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import zhCN from './zh-CN.json';
import en from './en.json';

export type Locale = 'zh-CN' | 'en';
export type MessageKey = keyof typeof zhCN;
export type Dictionary = Record<MessageKey, string>;
export type Vars = Record<string, string | number>;

export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export const STORAGE_KEY = 'waihu.locale';

// `satisfies` makes tsc fail when en.json lacks a key that zh-CN.json has.
export const dictionaries = { 'zh-CN': zhCN, en: en satisfies Dictionary } as const satisfies Record<Locale, Dictionary>;

export function isLocale(v: unknown): v is Locale {
  return v === 'zh-CN' || v === 'en';
}

export function isMessageKey(k: string): k is MessageKey {
  return Object.prototype.hasOwnProperty.call(zhCN, k);
}

/** Replaces `{name}` with vars.name; unknown placeholders stay visible so a missing var is noticed. */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  return interpolate(dictionaries[locale][key] ?? dictionaries[DEFAULT_LOCALE][key] ?? key, vars);
}

export function storedLocale(): Locale {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLocale(v)) return v;
  } catch {
    // Storage can be disabled (privacy mode); the default is fine then.
  }
  return DEFAULT_LOCALE;
}

// The API client reads the locale outside React (for Accept-Language), so the current
// choice also lives at module level.
let current: Locale = storedLocale();

export function currentLocale(): Locale {
  return current;
}

export type TFunction = (key: MessageKey, vars?: Vars) => string;

interface I18nValue {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: TFunction;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(current);

  const setLocale = useCallback((l: Locale) => {
    current = l;
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, l);
    } catch {
      // See storedLocale.
    }
    setLocaleState(l);
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const value = useMemo<I18nValue>(
    () => ({ locale, setLocale, t: (key, vars) => translate(locale, key, vars) }),
    [locale, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

export function useT(): TFunction {
  return useI18n().t;
}

/** Dates from the API are RFC 3339 strings; shown in the browser's zone in the UI language. */
export function formatDateTime(locale: Locale, value: string | null | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}
