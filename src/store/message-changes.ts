import type { Message } from '../model.js';
import type { RecordChanges } from './store.js';

/**
 * What of a message never changes after its first put, and what only grows: the engine changes
 * `status`, `steps`, `attempts`, `updatedAt` and `completedAt`, and pushes to `history`.
 */
export const MESSAGE_CHANGES: RecordChanges<Message> = {
  fixed: ['id', 'route', 'plan', 'to', 'content', 'callbackUrl', 'tags', 'locale', 'from', 'idempotencyKey', 'createdAt'],
  appendOnly: ['history'],
};
