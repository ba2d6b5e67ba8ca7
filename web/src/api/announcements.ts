// Back-office endpoints for carrier announcement references, the fingerprint
// layer of early-media classification (app/httpapi/announcement_handlers.go).
import { http, postMultipart } from './client';
import type { Id } from './types';

export const ANNOUNCEMENT_OUTCOMES = ['powered_off', 'invalid_number', 'busy', 'unreachable', 'no_answer', 'rejected'] as const;
export type AnnouncementOutcome = (typeof ANNOUNCEMENT_OUTCOMES)[number];

export interface AnnouncementRef {
  id: Id;
  name: string;
  carrier: string;
  outcome: AnnouncementOutcome;
  duration_ms: number;
  landmarks: number;
  sha256: string;
  created_at: string;
}

export function listAnnouncements(): Promise<{ items: AnnouncementRef[] }> {
  return http.get('/api/v1/admin/announcements');
}

export interface AnnouncementMatch {
  matched: boolean;
  reference: AnnouncementRef | null;
  score: number;
  coverage: number;
  offset_ms: number;
}

export function uploadAnnouncement(file: File, name: string, carrier: string, outcome: string): Promise<AnnouncementRef> {
  const form = new FormData();
  form.append('file', file);
  form.append('name', name);
  form.append('carrier', carrier);
  form.append('outcome', outcome);
  return postMultipart('/api/v1/admin/announcements', form);
}

export function matchAnnouncement(file: File, carrier: string): Promise<AnnouncementMatch> {
  const form = new FormData();
  form.append('file', file);
  form.append('carrier', carrier);
  return postMultipart('/api/v1/admin/announcements/match', form);
}

export function deleteAnnouncement(id: Id): Promise<void> {
  return http.del(`/api/v1/admin/announcements/${id}`);
}

export function announcementAudioURL(id: Id): string {
  return `/api/v1/admin/announcements/${id}/audio`;
}
