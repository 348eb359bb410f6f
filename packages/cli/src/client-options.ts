/** The options every client command shares (`--url`, `--api-key`, `--json`) and the client made from them. */
import { VtransClient } from '@vtrans/client';
import { CliError, EXIT } from './exit-codes.js';

/** The default server when neither `--url` nor `$VTRANS_URL` is given. */
export const DEFAULT_URL = 'http://localhost:3000';

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** The resolved connection settings of a command. */
export interface Connection {
  url: string;
  /** Whether `--url` was given on the command line (then a resume hint repeats it). */
  isUrlFromFlag: boolean;
  apiKey: string | undefined;
  isJson: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function resolveConnection(options: GlobalOptions, env: NodeJS.ProcessEnv): Connection {
  const fromFlag = nonEmpty(options.url);
  const url = fromFlag ?? nonEmpty(env.VTRANS_URL) ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(
      `invalid ${fromFlag ? '--url' : 'VTRANS_URL'} "${url}": expected an http(s) URL like ${DEFAULT_URL}`,
      EXIT.usage,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(
      `invalid ${fromFlag ? '--url' : 'VTRANS_URL'} "${url}": expected an http(s) URL like ${DEFAULT_URL}`,
      EXIT.usage,
    );
  }
  return {
    url: url.replace(/\/+$/, ''),
    isUrlFromFlag: fromFlag !== undefined,
    apiKey: nonEmpty(options.apiKey) ?? nonEmpty(env.VTRANS_API_KEY),
    isJson: options.json === true,
  };
}

export function createClient(connection: Connection): VtransClient {
  return new VtransClient({
    baseUrl: connection.url,
    ...(connection.apiKey === undefined ? {} : { apiKey: connection.apiKey }),
  });
}

/** The exact command that resumes waiting on `jobId` (never repeats the API key). */
export function resumeCommand(jobId: string, connection: Connection): string {
  return `vtrans wait ${jobId}${connection.isUrlFromFlag ? ` --url ${connection.url}` : ''}`;
}
