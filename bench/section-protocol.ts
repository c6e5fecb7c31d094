/** How a section process (section-main.ts) hands its figures to the driver (run.ts): the last stdout line is `RESULT_MARKER <json>`. */
export const RESULT_MARKER = '@@bench-result@@';
