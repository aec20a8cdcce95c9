/** JSON text that goes into `jsonRows` as it is: a record or value serialized once already. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Many rows as one JSON array of `{column: value}` objects, for `json_to_recordset($1::json)`.
 * Passed as `text[]` arrays instead, every element is escaped into PostgreSQL's array syntax by
 * the driver and parsed back out by the server — a character-by-character pass over each record
 * on both sides. Here a serialized record (`RawJson`) is spliced in as it is.
 *
 * @example jsonRows(['id', 'body'], [['01J…', new RawJson('{"a":1}')]]) // '[{"id":"01J…","body":{"a":1}}]'
 */
export function jsonRows(columns: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const names = columns.map((c) => `${JSON.stringify(c)}:`);
  const parts: string[] = [];
  for (const row of rows) {
    const fields = row.map((v, i) => names[i] + (v instanceof RawJson ? v.text : (JSON.stringify(v) ?? 'null')));
    parts.push(`{${fields.join(',')}}`);
  }
  return `[${parts.join(',')}]`;
}

/** `json_to_recordset($n::json) AS r(col type, …)` naming the columns of `jsonRows`. */
export const recordset = (param: string, columns: readonly string[], types: readonly string[]): string =>
  `json_to_recordset(${param}::json) AS r(${columns.map((c, i) => `${c} ${types[i]}`).join(', ')})`;
