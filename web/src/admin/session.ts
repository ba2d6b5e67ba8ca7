import type { AdminSession } from '../api/types';
import { createSession } from '../shared/session';

export const { Provider: AdminSessionProvider, useSession: useAdminSession } = createSession<AdminSession>();
