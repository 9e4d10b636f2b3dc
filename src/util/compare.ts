// Ordering of names (links, IDs) that does not depend on the locale: by UTF-16
// code unit, as the kernel and `ip` list them. (localeCompare would also pull
// ICU's collation tables into a daemon that never shows them to anyone.)

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
