/**
 * Debian's nginx for a run, as a process: the substituted `deploy/nginx.conf` and the main
 * configuration around it (nginx-config.ts) written into a scratch directory, checked with
 * `nginx -t`, run in the foreground, reloaded with `nginx -s reload`, stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainNginxConf, readDeployNginxConf, substituteNginxConf } from './nginx-config.js';
import { freePort, tempDir } from '@vtrans/test-support';

/** Debian's nginx, unprivileged, in the foreground, with the substituted deploy configuration. */
export class Nginx {
  readonly #child: ChildProcess;
  readonly #args: string[];
  readonly #exited: Promise<void>;
  #stderr = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    args: string[],
  ) {
    this.#args = args;
    this.#child = spawn('nginx', [...args, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#stderr += d));
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  static async start(upstreamPorts: readonly number[]): Promise<Nginx> {
    const port = await freePort();
    const dir = tempDir('vtrans-nemesis-nginx-');
    for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      mkdirSync(join(dir, sub));
    }
    const serverConf = join(dir, 'vtrans.conf');
    writeFileSync(serverConf, substituteNginxConf(readDeployNginxConf(), port, upstreamPorts));
    writeFileSync(join(dir, 'nginx.conf'), mainNginxConf(dir, serverConf));
    const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
    const check = spawnSync('nginx', [...args, '-t'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`);
    const nginx = new Nginx(port, dir, args);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 15_000, () => nginx.#stderr);
    return nginx;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** `nginx -s reload`: new workers with the configuration read again; old ones finish gracefully. */
  reload(): void {
    const r = spawnSync('nginx', [...this.#args, '-s', 'reload'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nginx -s reload failed: ${r.stderr}`);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      // SIGTERM: fast shutdown of the master and every worker (old ones after a reload too).
      process.kill(this.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (this.#child.exitCode === null) process.kill(this.pid, 'SIGKILL');
      }, 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForHttp(url: string, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${why()}`);
}
