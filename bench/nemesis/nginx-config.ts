/**
 * nginx for the nemesis cluster: the repository's own `deploy/nginx.conf` (the file compose.yaml
 * mounts), changed only where a loopback run must differ from compose — the port it listens on and
 * the upstream addresses — plus the stock main configuration of the nginx image around it, with
 * every path inside the run's scratch directory so Debian's `nginx` runs without touching /etc.
 *
 * The substitution, exactly:
 * - `listen <port>;` becomes `listen 127.0.0.1:<port of this run>;`
 * - the upstream block's `server <host:port> <parameters>;` lines become one line per instance,
 *   `server 127.0.0.1:<instance port> <the same parameters as the first line>;`
 * Every other byte of the file is kept; anything else that differs throws.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEPLOY_NGINX_CONF = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

const LISTEN = /^(\s*)listen\s+\d+\s*;[^\S\n]*$/m;
const UPSTREAM = /^(\s*upstream\s+\S+\s*\{\n)([\s\S]*?)^(\s*\})/m;
const SERVER_LINE = /^(\s*)server\s+\S+((?:\s+[^\s;]+)*)\s*;[^\S\n]*\n/gm;

/** `deploy/nginx.conf` with the listen port and the upstream servers replaced (see above). */
export function substituteNginxConf(
  source: string,
  listenPort: number,
  upstreamPorts: readonly number[],
): string {
  if (!LISTEN.test(source)) throw new Error('deploy/nginx.conf: no `listen <port>;` line');
  const upstream = UPSTREAM.exec(source);
  if (!upstream) throw new Error('deploy/nginx.conf: no upstream block');
  const body = upstream[2] ?? '';
  const servers = [...body.matchAll(SERVER_LINE)];
  if (servers.length === 0) throw new Error('deploy/nginx.conf: the upstream lists no server');
  const indent = servers[0]![1] ?? '    ';
  const parameters = servers[0]![2] ?? '';
  const lines = upstreamPorts
    .map((port) => `${indent}server 127.0.0.1:${port}${parameters};\n`)
    .join('');
  // The servers are replaced where the first one stood; the other lines of the block stay.
  let placed = false;
  const newBody = body.replace(SERVER_LINE, () => {
    if (placed) return '';
    placed = true;
    return lines;
  });
  const start = upstream.index + upstream[1]!.length;
  const replaced = source.slice(0, start) + newBody + source.slice(start + body.length);
  return replaced.replace(LISTEN, (_m, lead: string) => `${lead}listen 127.0.0.1:${listenPort};`);
}

/**
 * The main configuration around it: the nginx image's stock `nginx.conf` (worker processes, events,
 * the http block that includes `conf.d/*.conf`), with its pid, logs and temporary files moved into
 * `prefix` so it runs unprivileged and leaves nothing behind.
 */
export function mainNginxConf(prefix: string, serverConfPath: string): string {
  return `# The nginx image's stock main configuration, paths moved into the run's scratch directory.
worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/client_body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;
    sendfile on;
    keepalive_timeout 65;
    include ${serverConfPath};
}
`;
}

export function readDeployNginxConf(): string {
  return readFileSync(DEPLOY_NGINX_CONF, 'utf8');
}
