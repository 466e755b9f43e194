/** One-line progress bar for a terminal (rewritten in place with \r); plain lines when not a TTY. Pure. */
export function progressLine(done: number, total: number, label: string, width = 30): string {
  const frac = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`;
}
