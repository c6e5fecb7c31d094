/** Command line of `npm run bench`: `[--quick] [--only training,overhead,queue,search,scale]`. */
import { parseArgs } from 'node:util';

export const SECTION_NAMES = ['training', 'overhead', 'queue', 'search', 'scale'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchOptions {
  /** A shorter run: fewer steps, repetitions and trials (figures are noisier). */
  quick: boolean;
  /** The sections to run, in SECTION_NAMES order. */
  sections: SectionName[];
}

export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--only ${SECTION_NAMES.join(',')}]

  --quick        a shorter run (fewer steps, repetitions and trials; noisier figures)
  --only LIST    comma-separated sections to run (default: all): ${SECTION_NAMES.join(', ')}
  --help         this text`;

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function isSectionName(name: string): name is SectionName {
  return (SECTION_NAMES as readonly string[]).includes(name);
}

/** @returns undefined when --help was asked for */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  let values: { quick?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if (values.help) return undefined;
  let sections: SectionName[] = [...SECTION_NAMES];
  if (values.only !== undefined) {
    const asked = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = asked.filter((s) => !isSectionName(s));
    if (unknown.length > 0 || asked.length === 0) {
      throw new BenchUsageError(`--only: unknown section(s) ${unknown.map((s) => `'${s}'`).join(', ') || "''"}; allowed: ${SECTION_NAMES.join(', ')}`);
    }
    sections = SECTION_NAMES.filter((s) => asked.includes(s));
  }
  return { quick: values.quick ?? false, sections };
}
