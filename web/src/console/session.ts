import type { ConsoleSession } from '../api/types';
import { createSession } from '../shared/session';

export const { Provider: ConsoleSessionProvider, useSession: useConsoleSession } = createSession<ConsoleSession>();
