// Debian's coturn, started inside a namespace of the test topology with a config of its
// own: the TURN REST scheme (use-auth-secret), UDP and TCP on 3478, TLS on 443 (a
// self-signed certificate made for the run). docs/TURN.md explains each line for production.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/**
 * Starts coturn on `ip` inside namespace `ns`; `dir` holds its config, certificate and log.
 * Resolves when it listens on UDP 3478 and TCP 443; returns the child process.
 */
export async function startTurnServer({ ns, ip, secret, dir, realm = 'duet.test' }) {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${ip}`,
    '-keyout', join(dir, 'turn-key.pem'), '-out', join(dir, 'turn-cert.pem'),
  ], { stdio: 'pipe' });
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(
    conf,
    [
      `listening-ip=${ip}`,
      `relay-ip=${ip}`,
      'listening-port=3478',
      'tls-listening-port=443',
      'min-port=49152',
      'max-port=65535',
      'fingerprint',
      'use-auth-secret',
      `static-auth-secret=${secret}`,
      `realm=${realm}`,
      `cert=${join(dir, 'turn-cert.pem')}`,
      `pkey=${join(dir, 'turn-key.pem')}`,
      'no-cli',
      'no-dtls',
      'no-multicast-peers',
      // The test internet is private address space; a public deployment keeps coturn's
      // default refusal of private peers (docs/TURN.md), here both peers live there.
      'allow-loopback-peers',
      `log-file=${join(dir, 'turnserver.log')}`,
      'simple-log',
      'no-stdout-log',
      // Every allocation, permission and close, with its reason (DUET_TEST_VERBOSE=1).
      ...(process.env.DUET_TEST_VERBOSE ? ['verbose'] : []),
      '',
    ].join('\n'),
  );
  const child = spawn('ip', ['netns', 'exec', ns, TURNSERVER, '-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode} (see ${join(dir, 'turnserver.log')})`);
    const listening = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hlnu', 'sport', '= :3478']).toString().trim() !== '' &&
      execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hlnt', 'sport', '= :443']).toString().trim() !== '';
    if (listening) return child;
    if (Date.now() > deadline) throw new Error(`turnserver not listening after 15 s (see ${join(dir, 'turnserver.log')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
