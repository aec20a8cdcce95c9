import type { StatusEvent } from '../../src/plugin-api.js';
import { isObject, str, type Json } from './json.js';
import { groupOf, mapInfobipStatus, type InfobipStatus } from './status-map.js';

/** Infobip's error object; `id` 0 (`NO_ERROR`) says nothing went wrong. */
interface InfobipErrorInfo {
  id?: number;
  name?: string;
  description?: string;
  groupName?: string;
  permanent?: boolean;
}

function reasonOf(status: InfobipStatus, error: InfobipErrorInfo | undefined): string {
  const parts = [status.description ?? status.name ?? 'failed'];
  if (error && error.id !== 0 && (error.description ?? error.name)) parts.push(`${error.description ?? error.name} (Infobip error ${error.id ?? '?'})`);
  return parts.join(': ');
}

/**
 * One delivery report (`status`, `error`, `doneAt`) or WhatsApp seen report (`seenAt`) as a
 * status event; `undefined` for a status group this gateway does not know (ignored, counted as
 * empty); a string for a result that is no report at all. A failure's error code is the status
 * name (`UNDELIVERABLE_NOT_DELIVERED`, `EXPIRED_EXPIRED`), which says what happened in Infobip's
 * words; the error object's id and `permanent` flag go into the details.
 */
export function reportEvent(item: Json): StatusEvent | string | undefined {
  const id = str(item.messageId);
  if (!id) return 'a report needs messageId';
  if (!isObject(item.status) && str(item.seenAt)) {
    return { type: 'status', providerMessageId: id, status: 'read', at: str(item.seenAt), details: { infobipStatus: 'SEEN' } };
  }
  if (!isObject(item.status)) return 'a report needs a status object';
  const status = item.status as InfobipStatus;
  const mapped = mapInfobipStatus(status);
  if (mapped === undefined) return undefined;
  const error = isObject(item.error) ? (item.error as InfobipErrorInfo) : undefined;
  const at = str(item.doneAt) ?? str(item.sentAt);
  const details: Json = { infobipStatus: status.name, group: groupOf(status) };
  if (str(item.callbackData)) details.callbackData = item.callbackData;
  if (typeof item.smsCount === 'number') details.smsCount = item.smsCount;
  const failed = mapped === 'failed' || mapped === 'undelivered';
  if (error && error.id !== 0 && error.id !== undefined) Object.assign(details, { errorId: error.id, errorName: error.name, permanent: error.permanent === true });
  return {
    type: 'status',
    providerMessageId: id,
    status: mapped,
    ...(failed ? { errorCode: status.name ?? groupOf(status) ?? 'FAILED', errorReason: reasonOf(status, error) } : {}),
    ...(at ? { at } : {}),
    details,
  };
}
