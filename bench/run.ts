/**
 * `npm run bench [-- --quick] [-- --only training,overhead,queue]`: speed figures measured side
 * by side in one run. Each section runs in a process of its own; the output is human-readable
 * lines, then one JSON object (the last line) with every figure.
 */
import { BENCH_USAGE, BenchUsageError, parseBenchOptions, type SectionName } from './bench-options.js';
import { headline, headlineLines, machineInfo, type BenchReport } from './bench-report.js';
import { runSectionProcess } from './section-process.js';
import { SECTION_TITLES } from './sections.js';

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (!options) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const machine = machineInfo();
  const report: BenchReport = {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    quick: options.quick,
    machine,
    sections: {},
    errors: {},
    sectionSeconds: {},
    headline: {},
  };
  console.log(`denoise-sweep bench${options.quick ? ' (quick)' : ''}: ${options.sections.join(', ')}; ${machine.cpus} cores (${machine.cpuModel}), node ${machine.node}`);
  for (const name of options.sections) {
    console.log(`\n== ${SECTION_TITLES[name]} ==`);
    const run = await runSectionProcess(name, options.quick, (line) => console.log(line));
    report.sectionSeconds[name] = run.seconds;
    if (run.error !== null) {
      report.errors[name] = run.error;
      console.log(run.error);
    } else {
      (report.sections as Record<SectionName, unknown>)[name] = run.result;
    }
  }
  report.headline = headline(report.sections);
  console.log('\n== Summary ==');
  for (const line of headlineLines(report.headline)) console.log(line);
  console.log(JSON.stringify(report));
  return Object.keys(report.errors).length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
