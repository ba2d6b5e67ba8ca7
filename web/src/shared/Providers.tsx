import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import type { ReactNode } from 'react';
import { I18nProvider, useI18n } from '../i18n';

function AntdConfig({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  return (
    // autoInsertSpace off: antd would render 登录 as "登 录", which screen readers spell out.
    <ConfigProvider
      locale={locale === 'en' ? enUS : zhCN}
      theme={{ token: { colorPrimary: '#1677ff' } }}
      button={{ autoInsertSpace: false }}
    >
      {/* AntApp gives modal/message hooks that follow this provider's locale. */}
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function Providers({ children }: { children: ReactNode }) {
  return (
    <I18nProvider>
      <AntdConfig>{children}</AntdConfig>
    </I18nProvider>
  );
}
