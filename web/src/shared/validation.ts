// Client-side mirrors of the server's rules (brief/API.md). They save a round trip; the
// server stays the judge and its `fields` land on the same inputs.

/** CN mobile (11 digits starting 1[3-9]) or E.164. Spaces and dashes are ignored. */
export function phoneAcceptable(v: string): boolean {
  return /^(?:\+[1-9]\d{6,14}|1[3-9]\d{9})$/.test(normalizePhone(v));
}

export function normalizePhone(v: string): string {
  return v.replace(/[\s-]/g, '');
}

/** At least 8 characters with letters and digits. */
export function passwordAcceptable(p: string): boolean {
  return p.length >= 8 && /[A-Za-z]/.test(p) && /\d/.test(p);
}
