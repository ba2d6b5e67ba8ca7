import { isMessageKey, type TFunction } from '../../i18n';

/** Localized label for a key family (crm.stage.new, crm.kind.call…); unknown values show as sent. */
export function label(t: TFunction, family: string, value: string): string {
  const key = `${family}.${value}`;
  return isMessageKey(key) ? t(key) : value;
}

export const STAGE_COLOR: Record<string, string> = {
  new: 'blue',
  contacted: 'cyan',
  trial: 'purple',
  negotiating: 'gold',
  won: 'green',
  lost: 'default',
};
