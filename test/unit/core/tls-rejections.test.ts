import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logger.js';
import {
  TlsRejectionTally,
  clientLabel,
  describeTlsError,
  parseTlsRejectionLine,
  tlsRejectionLine,
} from '../../../src/core/tls-rejections.js';
import { trustFix } from '../../../src/core/trust-hint.js';

const HOST = 'login.microsoftonline.com';

describe('TlsRejectionTally', () => {
  it('counts per host, client and error, and says when a host is new', () => {
    const t = new TlsRejectionTally();
    expect(t.add({ host: HOST, error: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', client: 'curl/8' })).toBe(
      true,
    );
    expect(t.add({ host: HOST, error: 'closed-during-handshake', client: null }, 2)).toBe(false);
    expect(t.add({ host: 'login.microsoftonline.us', error: 'x', client: 'java' })).toBe(true);
    expect(t.total).toBe(4);
    expect(t.hosts()).toEqual([
      {
        host: HOST,
        count: 3,
        clients: { 'curl/8': 1, 'unknown client': 2 },
        errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 1, 'closed-during-handshake': 2 },
      },
      { host: 'login.microsoftonline.us', count: 1, clients: { java: 1 }, errors: { x: 1 } },
    ]);
  });

  it('stays bounded: hosts past 200 and keys past 20 are counted as `other`', () => {
    const t = new TlsRejectionTally();
    for (let i = 0; i < 250; i++) t.add({ host: `h${i}.example`, error: `e${i}`, client: `c${i}` });
    for (let i = 0; i < 30; i++) t.add({ host: 'h0.example', error: `e${i}`, client: `c${i}` });
    const hosts = t.hosts();
    expect(hosts).toHaveLength(201);
    expect(hosts.find((h) => h.host === 'other')?.count).toBe(50);
    const h0 = hosts.find((h) => h.host === 'h0.example');
    expect(Object.keys(h0?.clients ?? {})).toHaveLength(21);
    expect(h0?.clients.other).toBe(10);
    expect(t.total).toBe(280);
  });

  it('adds a merged host and ignores bad counts', () => {
    const t = new TlsRejectionTally();
    t.add({ host: HOST, error: 'a', client: 'x' });
    t.addHost({ host: HOST, count: 2, clients: { y: 2 }, errors: { a: 1, b: 1 } });
    t.addHost({ host: HOST, count: -5, clients: {}, errors: {} });
    expect(t.add({ host: HOST, error: 'a', client: 'x' }, Number.NaN)).toBe(false);
    expect(t.hosts()).toEqual([
      { host: HOST, count: 3, clients: { x: 1, y: 2 }, errors: { a: 2, b: 1 } },
    ]);
  });
});

describe('session-log lines', () => {
  it('round-trips, and rejects what is not one', () => {
    const line = tlsRejectionLine(
      { host: HOST, error: 'closed-after-handshake', client: 'Wget/1.21' },
      3,
      '2026-12-06T00:00:00.000Z',
    );
    expect(parseTlsRejectionLine(JSON.parse(line))).toEqual({
      rejection: { host: HOST, error: 'closed-after-handshake', client: 'Wget/1.21' },
      count: 3,
    });
    for (const bad of [
      null,
      { type: 'session' },
      { type: 'tls-rejected', host: '', error: 'x', client: null, count: 1 },
      { type: 'tls-rejected', host: HOST, error: 'x', client: null, count: 0 },
      { type: 'tls-rejected', host: HOST, error: 'x', client: 5, count: 1 },
      { type: 'tls-rejected', host: HOST, error: 1, client: null, count: 1 },
    ]) {
      expect(parseTlsRejectionLine(bad)).toBeNull();
    }
  });
});

describe('clientLabel and describeTlsError', () => {
  it('makes a label of untrusted header text: one line, bounded, never empty', () => {
    expect(clientLabel('curl/8.5.0')).toBe('curl/8.5.0');
    expect(clientLabel('evil\r\nx-injected: 1')).toBe('evil x-injected: 1');
    expect(clientLabel('  \u0007 ')).toBeNull();
    expect(clientLabel(undefined)).toBeNull();
    expect(clientLabel('a'.repeat(500))?.length).toBe(100);
  });

  it('reads alerts and our codes', () => {
    expect(describeTlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('alert unknown_ca');
    expect(describeTlsError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')).toBe('alert bad_certificate');
    expect(describeTlsError('closed-during-handshake')).toBe('closed after the ServerHello');
    expect(describeTlsError('something-else')).toBe('something-else');
  });
});

describe('trustFix', () => {
  const paths = { ca: '/c/ca.pem', bundle: '/c/ca-bundle.pem' };
  it.each([
    ['curl/8.5.0', 'CURL_CA_BUNDLE=/c/ca-bundle.pem'],
    ['Wget/1.21.3', '--ca-certificate=/c/ca.pem'],
    ['python-requests/2.31', 'REQUESTS_CA_BUNDLE=/c/ca-bundle.pem'],
    ['Java/17.0.9', 'javax.net.ssl.trustStore'],
    ['node', 'NODE_EXTRA_CA_CERTS=/c/ca.pem'],
    ['npm', 'NODE_EXTRA_CA_CERTS=/c/ca.pem'],
    ['dotnet', 'SSL_CERT_FILE=/c/ca-bundle.pem'],
    ['Go-http-client/1.1', 'SSL_CERT_FILE=/c/ca-bundle.pem'],
    ['git/2.43', 'GIT_SSL_CAINFO=/c/ca-bundle.pem'],
  ])('%s: %s', (client, expected) => {
    const fix = trustFix(client, paths);
    expect(fix).toContain(expected);
    expect(fix).toMatch(/entra-bas-proxy ca/);
  });

  it('names the usual settings when the client is unknown', () => {
    const fix = trustFix(null, paths);
    for (const s of ['NODE_EXTRA_CA_CERTS', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'Java']) {
      expect(fix).toContain(s);
    }
  });
});

describe('logger', () => {
  it('shows a TLS error code (tlsError) and still censors a field named code', async () => {
    let out = '';
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const log = createLogger({ level: 'debug', dest });
    log.debug({ tlsError: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }, 'refused');
    log.debug({ code: 'AUTHCODE-SECRET' }, 'oops');
    await new Promise((r) => setTimeout(r, 10));
    expect(out).toContain('"tlsError":"ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"');
    expect(out).not.toContain('AUTHCODE-SECRET');
    expect(out).toContain('[redacted]');
  });
});
