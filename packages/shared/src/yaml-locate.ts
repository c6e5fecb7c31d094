import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { KeyPath } from './key-path.js';

/** Source offsets of a node: [start, end). */
type Range = readonly [number, number];

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyText(doc: Document, key: unknown): string {
  const k = resolve(doc, key);
  return isScalar(k) ? String(k.value) : String(k);
}

function rangeOf(node: unknown): Range | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range === undefined || range === null ? undefined : [range[0], range[1]];
}

/**
 * The source range of the value at `path` (or of its key, with `atKey`). When the path leaves
 * the document (a missing key), the range of the deepest node that exists on it.
 */
export function locatePath(doc: Document, path: KeyPath, atKey = false): Range | undefined {
  let node: unknown = doc.contents;
  let best = rangeOf(node);
  for (const [depth, segment] of path.entries()) {
    node = resolve(doc, node);
    const last = depth === path.length - 1;
    if (isMap(node) && typeof segment === 'string') {
      const pair = node.items.find((p) => keyText(doc, p.key) === segment);
      if (pair === undefined) return best;
      if (last && atKey) return rangeOf(pair.key) ?? best;
      node = pair.value;
      best = rangeOf(node) ?? rangeOf(pair.key) ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) return best;
      best = rangeOf(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

const inside = (range: Range | undefined, offset: number): boolean =>
  range !== undefined && range[0] <= offset && offset < range[1];

/**
 * The key path of the node at a source offset (e.g. of a duplicate key the parser reported):
 * the path down to the deepest key or item whose range holds the offset.
 */
export function pathAtOffset(doc: Document, offset: number): KeyPath {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(rangeOf(p.key), offset) || inside(rangeOf(p.value), offset));
      if (pair === undefined) return path;
      path.push(keyText(doc, pair.key));
      if (inside(rangeOf(pair.key), offset)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => inside(rangeOf(item), offset));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}
