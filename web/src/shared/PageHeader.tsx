import type { ReactNode } from 'react';

export function PageHeader({ title, extra }: { title: string; extra?: ReactNode }) {
  return (
    <div className="waihu-page-header">
      <h1 id="page-title">{title}</h1>
      {extra ? <div>{extra}</div> : null}
    </div>
  );
}
