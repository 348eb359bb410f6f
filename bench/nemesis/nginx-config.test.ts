/**
 * The one substitution the nemesis makes to deploy/nginx.conf: the listen port and the upstream
 * servers, every other line kept as compose mounts it.
 */
import { describe, expect, it } from 'vitest';
import { readDeployNginxConf, substituteNginxConf } from './nginx-config.js';

describe('deploy/nginx.conf on loopback', () => {
  it('changes only the listen line and the upstream servers (one per instance, same parameters)', () => {
    const source = readDeployNginxConf();
    const out = substituteNginxConf(source, 18080, [3101, 3102, 3103]);
    const servers = out.split('\n').filter((l) => /^\s*server\s+\S+:\d+/.test(l));
    expect(servers.map((l) => l.trim())).toEqual([
      'server 127.0.0.1:3101 max_fails=3 fail_timeout=5s;',
      'server 127.0.0.1:3102 max_fails=3 fail_timeout=5s;',
      'server 127.0.0.1:3103 max_fails=3 fail_timeout=5s;',
    ]);
    expect(out).toMatch(/^\s*listen 127\.0\.0\.1:18080;$/m);
    const isSubstituted = (l: string) => /^\s*(listen|server\s+\S+:\d+)/.test(l);
    expect(out.split('\n').filter((l) => !isSubstituted(l))).toEqual(
      source.split('\n').filter((l) => !isSubstituted(l)),
    );
  });

  it('refuses a file whose shape it does not know', () => {
    expect(() => substituteNginxConf('server {\n    listen 80;\n}\n', 1, [2])).toThrow(/upstream/);
    expect(() => substituteNginxConf('upstream x {\n}\n', 1, [2])).toThrow(/listen/);
  });
});
