import { GlobalOutlined } from '@ant-design/icons';
import { Button, Dropdown } from 'antd';
import { LOCALES, useI18n, type Locale } from '../i18n';

// Language names are written in their own language so anyone can find theirs.
const NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', en: 'English' };

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectable: true,
        selectedKeys: [locale],
        items: LOCALES.map((l) => ({ key: l, label: <span lang={l}>{NAMES[l]}</span> })),
        onClick: ({ key }) => setLocale(key as Locale),
      }}
    >
      <Button type="text" icon={<GlobalOutlined />} aria-label={t('lang.switch')} data-testid="lang-switch">
        {NAMES[locale]}
      </Button>
    </Dropdown>
  );
}
