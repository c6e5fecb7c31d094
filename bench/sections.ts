/** The benchmark sections by name, each a function of (quick, log) returning its figures. */
import type { SectionName } from './bench-options.js';
import { runOverheadSection, type OverheadSectionResult } from './overhead-section.js';
import { runQueueSection, type QueueSectionResult } from './queue-section.js';
import { runScaleSection, type ScaleSectionResult } from './scale-section.js';
import { runSearchSection, type SearchSectionResult } from './search-section.js';
import { runTrainingSection, type TrainingSectionResult } from './training-section.js';

export interface SectionResults {
  training: TrainingSectionResult;
  overhead: OverheadSectionResult;
  queue: QueueSectionResult;
  search: SearchSectionResult;
  scale: ScaleSectionResult;
}

export const SECTIONS: { [K in SectionName]: (quick: boolean, log: (line: string) => void) => Promise<SectionResults[K]> } = {
  training: runTrainingSection,
  overhead: runOverheadSection,
  queue: runQueueSection,
  search: runSearchSection,
  scale: runScaleSection,
};

export const SECTION_TITLES: Record<SectionName, string> = {
  training: 'Training throughput (issue 2)',
  overhead: 'Per-trial overhead (issue 3)',
  queue: 'Queue (issue 3)',
  search: 'Adaptive search (issue 13)',
  scale: 'Scale: 64 and 128 synthetic workers (issue 14)',
};
