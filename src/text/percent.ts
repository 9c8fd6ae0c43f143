/** A 0..1 fraction as a whole percentage: 0.856 → "86%". */
export function pct(value: number): string {
  return `${Math.round(value * 100)}%`;
}
