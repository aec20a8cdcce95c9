import { ProviderError } from '../../src/plugin-api.js';

/** Bandwidth: at most 10 attachments, each at most 3.5 MB (external or uploaded), URLs ≤ 4096 chars. */
export const MAX_ATTACHMENTS = 10;
export const MAX_FILE_BYTES = 3_500_000;
export const MAX_URL_LENGTH = 4096;
/** Above this total, Bandwidth warns deliverability drops (many carriers cap MMS near 500 KB–1 MB). */
export const RECOMMENDED_TOTAL_BYTES = 500_000;

/**
 * MIME types US carriers' MMSCs accept. Bandwidth publishes no list of its own; anything else is
 * refused here rather than failing later with 4412/4712 (media content invalid).
 */
export const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg', 'image/png', 'image/gif', 'image/bmp', 'image/tiff',
  'video/mp4', 'video/mpeg', 'video/3gpp', 'video/3gpp2', 'video/quicktime', 'video/h264',
  'audio/mpeg', 'audio/mp4', 'audio/amr', 'audio/ogg', 'audio/3gpp', 'audio/wav', 'audio/x-wav', 'audio/vnd.wav',
  'text/plain', 'text/vcard', 'text/x-vcard', 'text/calendar',
  'application/pdf', 'application/smil',
]);

// What a URL's file extension says about its type; extensions not listed are left to Bandwidth.
const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff',
  webp: 'image/webp', svg: 'image/svg+xml', heic: 'image/heic',
  mp4: 'video/mp4', mpg: 'video/mpeg', mpeg: 'video/mpeg', '3gp': 'video/3gpp', mov: 'video/quicktime', webm: 'video/webm', avi: 'video/x-msvideo',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', amr: 'audio/amr', ogg: 'audio/ogg', wav: 'audio/wav', flac: 'audio/flac',
  txt: 'text/plain', vcf: 'text/vcard', ics: 'text/calendar', html: 'text/html', htm: 'text/html', js: 'text/javascript',
  pdf: 'application/pdf', smil: 'application/smil', zip: 'application/zip', exe: 'application/x-msdownload',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

const EXTENSION_BY_TYPE: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/bmp': 'bmp', 'image/tiff': 'tiff',
  'video/mp4': 'mp4', 'video/mpeg': 'mpg', 'video/3gpp': '3gp', 'video/3gpp2': '3g2', 'video/quicktime': 'mov', 'video/h264': 'mp4',
  'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/amr': 'amr', 'audio/ogg': 'ogg', 'audio/3gpp': '3gp',
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/vnd.wav': 'wav',
  'text/plain': 'txt', 'text/vcard': 'vcf', 'text/x-vcard': 'vcf', 'text/calendar': 'ics',
  'application/pdf': 'pdf', 'application/smil': 'smil',
};

const DATA_URI = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[^;,]*)*);base64,([a-z0-9+/=\s]*)$/is;

/** Bytes given inline, to be uploaded with `PUT /users/{accountId}/media/{mediaId}` before the send. */
export interface MediaUpload {
  mediaId: string;
  contentType: string;
  bytes: Buffer;
}

export interface PreparedMedia {
  /** The `media` field of the message, in the caller's order (uploads as their future URLs). */
  urls: string[];
  uploads: MediaUpload[];
  /** Bytes of inline media; external URLs are fetched by Bandwidth and their size is not known here. */
  knownBytes: number;
}

const reject = (message: string) => new ProviderError(message, { reason: 'client', providerCode: 'media-invalid' });

/**
 * Checks an MMS's media against Bandwidth's limits and turns inline `data:<type>;base64,<bytes>`
 * items into uploads. Throws a permanent (`client`) ProviderError before anything is sent.
 *
 * @example prepareMedia(['https://cdn.example.com/a.png', 'data:image/png;base64,iVBOR…'], { mediaBaseUrl, idPrefix: attemptId })
 */
export function prepareMedia(media: readonly string[], target: { mediaBaseUrl: string; idPrefix: string }): PreparedMedia {
  if (media.length > MAX_ATTACHMENTS) throw reject(`Bandwidth accepts at most ${MAX_ATTACHMENTS} attachments, got ${media.length}`);
  const urls: string[] = [];
  const uploads: MediaUpload[] = [];
  let knownBytes = 0;
  media.forEach((item, index) => {
    const data = DATA_URI.exec(item);
    if (data) {
      const contentType = data[1].toLowerCase();
      if (!ALLOWED_TYPES.has(contentType)) throw reject(`attachment ${index + 1}: type ${contentType} is not accepted for MMS`);
      const bytes = Buffer.from(data[3].replace(/\s+/g, ''), 'base64');
      if (bytes.length === 0) throw reject(`attachment ${index + 1}: empty`);
      if (bytes.length > MAX_FILE_BYTES) throw reject(`attachment ${index + 1}: ${bytes.length} bytes exceeds Bandwidth's ${MAX_FILE_BYTES}-byte limit`);
      const mediaId = `${target.idPrefix}-${index + 1}.${EXTENSION_BY_TYPE[contentType] ?? 'bin'}`;
      uploads.push({ mediaId, contentType, bytes });
      urls.push(`${target.mediaBaseUrl}/${encodeURIComponent(mediaId)}`);
      knownBytes += bytes.length;
      return;
    }
    if (item.startsWith('data:')) throw reject(`attachment ${index + 1}: only base64 data: URIs are supported`);
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw reject(`attachment ${index + 1}: not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw reject(`attachment ${index + 1}: Bandwidth fetches media over http(s) only`);
    if (item.length > MAX_URL_LENGTH) throw reject(`attachment ${index + 1}: URL longer than ${MAX_URL_LENGTH} characters`);
    const ext = /\.([a-z0-9]+)$/i.exec(url.pathname)?.[1]?.toLowerCase();
    const type = ext === undefined ? undefined : TYPE_BY_EXTENSION[ext];
    if (type !== undefined && !ALLOWED_TYPES.has(type)) throw reject(`attachment ${index + 1}: type ${type} (.${ext}) is not accepted for MMS`);
    urls.push(item);
  });
  return { urls, uploads, knownBytes };
}
