import { SweepSpecError } from '@denoise-sweep/shared';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { describeError, exitCodeFor } from './exit-codes.js';
import { UsageError } from '@denoise-sweep/shared';

describe('exitCodeFor', () => {
  it('maps help to 0, usage and invalid input to 2, the rest to 1', () => {
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'error: unknown option'))).toBe(2);
    expect(exitCodeFor(new SweepSpecError([{ source: 'f', path: ['a'], message: 'bad' }]))).toBe(2);
    expect(exitCodeFor(new UsageError('no'))).toBe(2);
    expect(exitCodeFor(new Error('redis down'))).toBe(1);
    expect(exitCodeFor('thrown string')).toBe(1);
  });
  it('leaves commander errors to commander and prints the rest', () => {
    expect(describeError(new CommanderError(1, 'commander.unknownOption', 'x'))).toBeUndefined();
    expect(describeError(new SweepSpecError([{ source: 'f', path: ['a'], line: 3, column: 4, message: 'bad' }])))
      .toBe('Invalid sweep input (1 problem in f):\nf:3:4: a: bad');
    expect(describeError(new UsageError('try --dry-run'))).toBe('orchestrator: try --dry-run');
  });
});
