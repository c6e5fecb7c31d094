/** A column of a plain-text table. */
export interface Column<T> {
  header: string;
  value: (item: T) => string;
  align: 'left' | 'right';
}

/** A plain-text table, one item per line, columns padded to their widest cell. */
export function formatTable<T>(columns: readonly Column<T>[], items: readonly T[]): string {
  const rows = [columns.map((c) => c.header), ...items.map((t) => columns.map((c) => c.value(t)))];
  const widths = columns.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((row) => row
    .map((cell, i) => {
      const width = widths[i] ?? 0;
      return columns[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
    })
    .join('  ')
    .trimEnd());
  return `${lines.join('\n')}\n`;
}
