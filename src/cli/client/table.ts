/** One column of a table: its heading and how to read a cell from a row. */
export interface Column<T> {
  title: string;
  value: (row: T) => string | number | undefined;
  /** Cells past this many characters end in `…`: a long text must not push the table off screen. */
  max?: number;
}

/**
 * Rows as a table for people: a heading line, columns padded to their widest cell, two spaces
 * apart, the last column unpadded so lines carry no trailing blanks.
 *
 * @example out(formatTable(items, [{ title: 'ID', value: (m) => m.id }, { title: 'STATUS', value: (m) => m.status }]));
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.title), ...rows.map((r) => columns.map((c) => cell(c.value(r), c.max)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

function cell(value: string | number | undefined, max: number | undefined): string {
  // A newline inside a cell would break the alignment of every line after it.
  const text = value === undefined || value === '' ? '-' : String(value).replace(/\s+/g, ' ');
  return max !== undefined && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `key: value` lines with the keys aligned, for one record (`get`). */
export function formatFields(fields: readonly [string, string | undefined][]): string {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n') + '\n';
}
