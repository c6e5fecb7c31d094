import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SweepSpecError } from './errors.js';
import { firstNonUtf8Line, parseSweepFile } from './sweep-file.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sweep-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function messageOf(path: string): Promise<string> {
  const error: unknown = await parseSweepFile(path).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SweepSpecError);
  return (error as SweepSpecError).message;
}

describe('parseSweepFile', () => {
  it('reads a valid file (a UTF-8 byte order mark is fine)', async () => {
    const path = join(dir, 'ok.yaml');
    await writeFile(path, '\uFEFFname: Café\nmethod: grid\nparameters: {}\n');
    expect((await parseSweepFile(path)).name).toBe('Café');
  });

  it('says clearly when the file is missing or is a directory', async () => {
    expect(await messageOf(join(dir, 'nope.yaml'))).toContain(`${join(dir, 'nope.yaml')}: no such file: check the path`);
    expect(await messageOf(dir)).toContain(`${dir}: is a directory: give the path of a sweep YAML file`);
    expect(await messageOf(join(dir, 'ok.yaml', 'x'))).toContain('no such file');
  });

  it('refuses files over 1 MiB before reading them', async () => {
    const path = join(dir, 'big.yaml');
    await writeFile(path, `name: b\nmethod: grid\nparameters: {}\n${'#'.repeat(1024 * 1024)}\n`);
    expect(await messageOf(path)).toMatch(/big\.yaml: is \d+ bytes: sweep files are limited to 1048576 bytes \(1 MiB\)/);
  });

  it('refuses text that is not UTF-8, naming the line', async () => {
    const path = join(dir, 'latin1.yaml');
    await writeFile(path, Buffer.from('name: x\nmethod: grid\ndescription: caf\xe9\nparameters: {}\n', 'latin1'));
    expect(await messageOf(path)).toContain(`${path}:3: is not valid UTF-8 text: save it as UTF-8`);
    const utf16 = join(dir, 'utf16.yaml');
    await writeFile(utf16, Buffer.from('\uFEFFname: x\n', 'utf16le'));
    expect(await messageOf(utf16)).toContain('is not valid UTF-8');
  });
});

describe('firstNonUtf8Line', () => {
  it('finds the first bad line, or nothing', () => {
    expect(firstNonUtf8Line(Buffer.from('a\nb\n'))).toBeUndefined();
    expect(firstNonUtf8Line(Buffer.from('ä\n€\n'))).toBeUndefined();
    expect(firstNonUtf8Line(Uint8Array.from([0x61, 0x0a, 0x62, 0x0a, 0xc3]))).toBe(3);
    expect(firstNonUtf8Line(Uint8Array.from([0xff]))).toBe(1);
  });
});
