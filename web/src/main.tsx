import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { configureClient } from './api/client';
import { currentLocale } from './i18n';
import { Providers } from './shared/Providers';
import { PageSpinner } from './shared/Spinner';
import './styles.css';

// Each surface is its own chunk: a tenant never downloads back-office code and vice versa.
const ConsoleApp = lazy(() => import('./console/ConsoleApp'));
const AdminApp = lazy(() => import('./admin/AdminApp'));

configureClient({ locale: currentLocale });

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');

createRoot(root).render(
  <StrictMode>
    <Providers>
      <BrowserRouter>
        <Suspense fallback={<PageSpinner />}>
          <Routes>
            <Route path="/console/*" element={<ConsoleApp />} />
            <Route path="/admin/*" element={<AdminApp />} />
            {/* The Go server only sends this app for /console and /admin; this is for `vite dev`. */}
            <Route path="*" element={<Navigate to="/console" replace />} />
          </Routes>
        </Suspense>
      </BrowserRouter>
    </Providers>
  </StrictMode>,
);
