/**
 * The bench contract of docs/ARCHITECTURE.md, shared by every bench/NAME.ts: each figure is one JSON line on stdout
 * (`{"bench","metric","value","unit","baseline","baselineValue","ratio"}`, the baseline measured in the same run)
 * and the figures are repeated as a readable table on stderr. Benchmarks report; they never assert on time.
 */

export type Figure = Readonly<{
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
}>;

export type BenchOptions = Readonly<{
  /** `--quick`: small sizes for a smoke run (CI); default sizes are the ones the targets speak of. */
  quick: boolean;
  /** The arguments after the bench name. */
  args: readonly string[];
}>;

export function parseBenchArgs(args: readonly string[]): BenchOptions {
  return { quick: args.includes('--quick'), args };
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Rounds to 3 significant digits after the point for ratios, to integers for large rates. */
export const round = (value: number): number => (Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3)));

/** Collects the figures of one bench run, printing each JSON line as soon as it is measured. */
export class BenchReport {
  readonly figures: Figure[] = [];

  constructor(readonly bench: string) {}

  add(metric: string, value: number, unit: string, baseline: string, baselineValue: number): Figure {
    const figure: Figure = { bench: this.bench, metric, value: round(value), unit, baseline, baselineValue: round(baselineValue), ratio: Number((value / baselineValue).toFixed(3)) };
    this.figures.push(figure);
    process.stdout.write(`${JSON.stringify(figure)}\n`);
    return figure;
  }

  /** The table on stderr, with a title line and free-form notes (sizes, targets, individual runs). */
  printTable(title: string, notes: readonly string[] = []): void {
    const header = ['metric', 'value', 'unit', 'baseline', 'baseline value', 'ratio'];
    const rows = this.figures.map((f) => [f.metric, String(f.value), f.unit, f.baseline, String(f.baselineValue), f.ratio.toFixed(3)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const numeric = new Set([1, 4, 5]);
    const line = (cells: readonly string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
    process.stderr.write(['', title, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...notes, ''].join('\n') + '\n');
  }
}
