import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where a store is, as a URL:
 * - `s3://bucket/prefix`: an S3 bucket (AWS, MinIO, ...); the endpoint, region and credentials
 *   come from their own settings and the AWS SDK's usual chain;
 * - `file:///dir`: a directory on a local or shared filesystem.
 * Every key lives under the URL's path, so two sweeps' stores never mix.
 */
export type StoreLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'file'; dir: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9/_.-]*$/;

/** Parses a store URL; throws an Error saying what is allowed. */
export function parseStoreUrl(text: string): StoreLocation {
  // Checked on the text: URL parsing would resolve them away.
  if (/\/\.\.?(\/|$)/.test(text.replace(/^[a-z0-9]+:\/\//i, ''))) throw new Error('may have no \'.\' or \'..\' segment');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`must be a store URL: s3://bucket/prefix or file:///absolute/dir`);
  }
  if (url.protocol === 'file:') {
    if (url.host !== '') throw new Error('must be file:///absolute/dir (a file URL names no host)');
    const dir = fileURLToPath(url);
    if (!isAbsolute(dir)) throw new Error('must name an absolute directory, e.g. file:///data/sweeps');
    return { kind: 'file', dir: dir.replace(/\/+$/, '') || '/' };
  }
  if (url.protocol === 's3:') {
    const bucket = url.hostname;
    if (!BUCKET.test(bucket)) throw new Error(`must name a valid bucket (3-63 of a-z, 0-9, '.', '-'), as in s3://my-bucket/prefix`);
    if (url.username || url.password || url.port || url.search || url.hash) throw new Error('must be s3://bucket/prefix only (credentials come from the AWS SDK\'s chain, the endpoint from S3_ENDPOINT)');
    const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
    if (!PREFIX.test(prefix) || prefix.split('/').some((p) => p === '..' || p === '.' || (p === '' && prefix !== ''))) {
      throw new Error('may have a prefix of letters, digits, \'/\', \'_\', \'.\', \'-\' and no empty, \'.\' or \'..\' segment');
    }
    return { kind: 's3', bucket, prefix };
  }
  throw new Error(`must start with s3:// or file://`);
}

/** For settings: validates and returns the URL text. */
export function checkStoreUrl(text: string): string {
  parseStoreUrl(text);
  return text;
}

/** The file:// URL of a local directory. */
export function fileStoreUrl(dir: string): string {
  return pathToFileURL(dir).href;
}
