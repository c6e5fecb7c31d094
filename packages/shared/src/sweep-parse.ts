import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { SweepSpecError, type SpecIssue } from './errors.js';
import { IssueList } from './issue-list.js';
import { MAX_ALIAS_COUNT, MAX_SWEEP_FILE_BYTES, type SweepSpec } from './sweep-spec.js';
import { checkSweepObject } from './sweep-validate.js';
import { locatePath, pathAtOffset } from './yaml-locate.js';

const MIB = 1024 * 1024;

/**
 * Parses and validates the text of a sweep.yaml (YAML 1.2 core schema: `1e-3` is a number,
 * `yes` is a string). Duplicate keys, unknown tags, several documents and alias bombs are
 * refused; every problem is reported with the file name, key path, line and column.
 * @param fileName shown in messages; the file is not read
 * @throws SweepSpecError listing every problem found
 */
export function parseSweepText(text: string, fileName: string): SweepSpec {
  const fail = (message: string, extra: Partial<SpecIssue> = {}): never => {
    throw new SweepSpecError([{ source: fileName, path: [], message, ...extra }]);
  };
  if (Buffer.byteLength(text, 'utf8') > MAX_SWEEP_FILE_BYTES) {
    fail(`is too big: sweep files are limited to ${MAX_SWEEP_FILE_BYTES / MIB} MiB`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Pick<SpecIssue, 'line' | 'column'> => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const syntax = [...doc.errors, ...doc.warnings].map((e) => yamlIssue(doc, e, fileName, at));
  if (syntax.length > 0) throw new SweepSpecError(syntax);
  if (doc.contents === null) {
    fail('is empty: a sweep needs at least name, method and parameters (see examples/sweep.yaml)', at(0));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const bomb = /alias count/i.test(reason);
    fail(bomb
      ? `expands too many YAML aliases (more than ${MAX_ALIAS_COUNT}; an "alias bomb"?): refusing it`
      : `cannot be read as YAML: ${reason}`);
  }

  const issues = new IssueList();
  const spec = checkSweepObject(data, issues);
  if (spec !== undefined) return spec;
  throw new SweepSpecError(locateIssues(doc, issues, fileName, at));
}

function yamlIssue(
  doc: Document, error: YAMLError, fileName: string, at: (offset: number) => Pick<SpecIssue, 'line' | 'column'>,
): SpecIssue {
  const offset = error.pos[0];
  const path = error.code === 'DUPLICATE_KEY' ? pathAtOffset(doc, offset) : [];
  const message = error.code === 'DUPLICATE_KEY'
    ? 'duplicate key: each key may appear only once in a mapping'
    : `YAML syntax error: ${error.message} (${error.code})`;
  return { source: fileName, path, message, ...at(offset) };
}

/** Attaches line and column to each issue and sorts them in file order. */
function locateIssues(
  doc: Document, issues: IssueList, fileName: string, at: (offset: number | undefined) => Pick<SpecIssue, 'line' | 'column'>,
): SpecIssue[] {
  const located = issues.items.map((issue) => {
    const range = locatePath(doc, issue.locateAt ?? issue.path, issue.atKey);
    return { offset: range?.[0] ?? Infinity, issue: { source: fileName, path: issue.path, message: issue.message, ...at(range?.[0]) } };
  });
  return located.sort((a, b) => a.offset - b.offset).map((l) => l.issue);
}
