import { renderTable } from './table.ts';

/**
 * One measured figure for the summary: what it is, its value, the goal it is held to (issue 15 and
 * earlier ones) and the peer it is compared with. A section adds one with `bench.figure(...)`; the
 * summary table and `--json` print them all, in the order they were added.
 */
export interface Figure {
  /** The section letter that measured it. */
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The goal, e.g. `<= 300 KiB`; `met` says whether `value` reaches it. */
  goal?: string;
  met?: boolean;
  /** What it is compared with, e.g. `LangGraph.js 11.2 ms`. */
  peer?: string;
}

/** What every section gets: where to write its details, how to add a summary figure, and the mode. */
export interface Bench {
  /** Fewer runs and rounds, for `--quick`: the same figures, noisier. */
  readonly quick: boolean;
  /** Detail lines; in `--json` mode they go to stderr so that stdout is the JSON alone. */
  say(text?: string): void;
  figure(figure: Omit<Figure, 'section'>): void;
}

export interface BenchRun extends Bench {
  /** A copy of `bench` that files figures under `section`. */
  forSection(section: string): Bench;
  readonly figures: readonly Figure[];
}

export function createBench(options: { quick: boolean; json: boolean }): BenchRun {
  const figures: Figure[] = [];
  const write = options.json ? process.stderr : process.stdout;
  const say = (text = '') => {
    write.write(`${text}\n`);
  };
  const make = (section: string): Bench => ({
    quick: options.quick,
    say,
    figure: (figure) => {
      figures.push({ section, ...figure });
    },
  });
  return { ...make(''), forSection: make, figures };
}

/** `<= limit`: the goal text and whether `value` meets it. */
export const atMost = (value: number, limit: number, unit = '') => ({
  goal: `<= ${limit}${unit ? ` ${unit}` : ''}`,
  met: value <= limit,
});

/** `>= limit`: the goal text and whether `value` meets it. */
export const atLeast = (value: number, limit: number, unit = '') => ({
  goal: `>= ${limit}${unit ? ` ${unit}` : ''}`,
  met: value >= limit,
});

const formatValue = (figure: Figure) => {
  const digits = Math.abs(figure.value) >= 100 || Number.isInteger(figure.value) ? 0 : 2;
  return `${figure.value.toFixed(digits)} ${figure.unit}`.trim();
};

/** The one table of every figure next to its goal and peer. */
export function renderSummary(figures: readonly Figure[]): string {
  return renderTable(
    [
      { header: 'section' },
      { header: 'figure' },
      { header: 'measured', align: 'right' },
      { header: 'goal' },
      { header: 'met' },
      { header: 'peer / baseline' },
    ],
    figures.map((f) => [
      f.section,
      f.name,
      formatValue(f),
      f.goal ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
      f.peer ?? '',
    ]),
  );
}
