import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** JSON pointer (`/routes/default/steps/0`) → path segments. */
export function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The `line:col` of the deepest node on `path` that exists in the YAML document. With `keyOf`,
 * points at that key inside the map (an unknown property), not at the map.
 */
export function positionOf(doc: Document, counter: LineCounter, path: readonly (string | number)[], keyOf?: string): string {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  const segments = keyOf === undefined ? path : [...path, keyOf];
  for (let i = 0; i < segments.length && node; i += 1) {
    const seg = segments[i];
    let next: Node | null | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const pointAtKey = keyOf !== undefined && i === segments.length - 1;
      next = (pointAtKey ? pair.key : pair.value) as Node | null;
      if (!next) next = pair.key as Node;
    } else if (isSeq(node)) {
      next = node.items[Number(seg)] as Node | undefined;
    }
    if (!next?.range) break;
    node = next;
    offset = next.range![0];
  }
  const { line, col } = counter.linePos(offset);
  return `${line}:${col}`;
}
