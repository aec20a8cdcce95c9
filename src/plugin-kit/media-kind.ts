/** What WhatsApp-style APIs call a media message: each kind has its own message type. */
export type MediaKind = 'image' | 'video' | 'audio' | 'document';

const BY_EXTENSION: Readonly<Record<string, MediaKind>> = {
  jpg: 'image', jpeg: 'image', png: 'image', webp: 'image', gif: 'image',
  mp4: 'video', '3gp': 'video', mov: 'video',
  mp3: 'audio', ogg: 'audio', opus: 'audio', amr: 'audio', m4a: 'audio', aac: 'audio', wav: 'audio',
};

/**
 * The media kind a URL's file extension names; anything else (PDF, DOCX, no extension) goes as a
 * document, which WhatsApp delivers whatever the type.
 *
 * @example mediaKindOf('https://cdn.example.com/receipt.pdf?sig=1') // → 'document'
 */
export function mediaKindOf(url: string): MediaKind {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: read the extension off the text as given
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext !== undefined && Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext] : 'document';
}

/** The file name at the end of a URL's path, for document messages. */
export function fileNameOf(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}
