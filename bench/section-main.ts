/**
 * Runs one benchmark section in a process of its own (so its peak RSS and any threads or
 * servers it starts are its own), printing human-readable lines and, last, one line
 * `RESULT_MARKER <json>` for bench/run.ts.
 *
 *   node --import tsx bench/section-main.ts training|overhead|queue|search [--quick]
 */
import { SECTION_NAMES, type SectionName } from './bench-options.js';
import { RESULT_MARKER } from './section-protocol.js';
import { SECTIONS } from './sections.js';

const [name, ...rest] = process.argv.slice(2);
if (!(SECTION_NAMES as readonly string[]).includes(name ?? '')) {
  process.stderr.write(`usage: section-main.ts ${SECTION_NAMES.join('|')} [--quick]\n`);
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const result = await SECTIONS[name as SectionName](rest.includes('--quick'), (line) => console.log(line));
console.log(`${RESULT_MARKER} ${JSON.stringify(result)}`);
// Kernel threads, sockets or timers of libraries must not keep the section alive.
process.exit(0);
