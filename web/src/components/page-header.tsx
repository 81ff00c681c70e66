import type { ReactNode } from 'react';
import './page-header.css';

/** A page's title row: the h1, then controls, then actions pushed to the right. */
export function PageHeader({
  title,
  children,
  actions,
}: {
  title: ReactNode;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children}
      {actions ? <div className="page-header-actions">{actions}</div> : null}
    </div>
  );
}
