/**
 * What the sections of BENCHMARKS.md share: the line saying how each was measured, and the
 * "Results against the targets" table gathering their target rows when one run writes them all.
 */

/** When and how a section was measured: by its own `--only` run, or within a whole `npm run bench`. */
export interface SectionMeta {
  date: string;
  commit?: string;
  loadAvgStart?: string;
  loadAvgEnd?: string;
  /** Measured within a whole run, not by `--only <name>`. */
  whole?: boolean;
}

export const ranBy = (m: SectionMeta, name: string): string => (m.whole ? '`npm run bench`' : `\`npm run bench -- --only ${name}\``);

/** A section's target rows: the rows of its tables that carry a verdict. */
export function targetRowsOf(section: string): string[] {
  return section.split('\n').filter((line) => /^\|.*\| \*\*(pass|FAIL)\*\* \|$/.test(line));
}

/**
 * The report with every section's target rows added at the end of its "Results against the
 * targets" table, then the sections themselves: one table holds every verdict of the run.
 */
export function withSectionTargets(report: string, sections: readonly string[]): string {
  const lines = report.split('\n');
  let end = lines.indexOf('## Results against the targets');
  if (end === -1) throw new Error('the report has no "Results against the targets" table');
  while (end < lines.length && !lines[end].startsWith('|')) end += 1;
  while (end < lines.length && lines[end].startsWith('|')) end += 1;
  lines.splice(end, 0, ...sections.flatMap(targetRowsOf));
  return `${[lines.join('\n'), ...sections].map((part) => part.trimEnd()).join('\n\n')}\n`;
}
