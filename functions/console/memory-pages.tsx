/** @jsxImportSource hono/jsx */
import type { JSX } from 'hono/jsx/jsx-runtime';
import * as z from 'zod';
import { ValidationError } from '../core/errors.ts';
import type { MemoryService } from '../core/memory/memory-service.ts';
import { type ConsoleHandlers, csrfOf, page } from './console-kit.tsx';
import { MemoryPage } from './pages/memory.tsx';

export interface MemoryPagesDeps {
  memory: Pick<MemoryService, 'search'>;
}

const MemoryQuerySchema = z.object({
  q: z.string().max(2000).optional(),
  namespace: z.string().max(200).optional(),
});

/** The console's memory search, with scores and origins. */
export function memoryPages(deps: MemoryPagesDeps): ConsoleHandlers {
  return {
    consoleMemory: async (c) => {
      const query = MemoryQuerySchema.parse(c.req.query());
      const shown = {
        ...(query.q ? { q: query.q } : {}),
        ...(query.namespace ? { namespace: query.namespace } : {}),
      };
      if (!query.q) return page(c, MemoryPage({ csrf: csrfOf(c), query: shown }) as JSX.Element);
      try {
        const result = await deps.memory.search({ q: query.q, namespace: query.namespace || 'operator' });
        return page(c, MemoryPage({ csrf: csrfOf(c), query: shown, result }) as JSX.Element);
      } catch (error) {
        // A query the search refuses (a bad namespace) is shown on the page, with the field it names.
        if (!(error instanceof ValidationError)) throw error;
        return page(c, MemoryPage({ csrf: csrfOf(c), query: shown, error: error.message }) as JSX.Element);
      }
    },
  };
}
