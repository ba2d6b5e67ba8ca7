import { useEffect } from 'react';

/** Screen readers announce the document title on navigation, so every page sets one. */
export function usePageTitle(title: string, suffix: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${suffix}` : suffix;
  }, [title, suffix]);
}
