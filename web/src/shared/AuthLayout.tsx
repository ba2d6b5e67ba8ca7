import { Card } from 'antd';
import type { ReactNode } from 'react';
import { LanguageSwitch } from './LanguageSwitch';

/** The frame of the logged-out pages: product mark, language switch, one centered card. */
export function AuthLayout({
  mark,
  title,
  children,
  wide,
}: {
  mark: string;
  title: string;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <div className="waihu-auth">
      <header className="waihu-auth-top">
        <div className="waihu-brand">{mark}</div>
        <LanguageSwitch />
      </header>
      <main className="waihu-auth-main" id="main-content">
        <Card className={wide ? 'waihu-auth-card wide' : 'waihu-auth-card'}>
          <h1 style={{ marginTop: 0, fontSize: 22 }}>{title}</h1>
          {children}
        </Card>
      </main>
    </div>
  );
}
