/** Where a request may go (admission.ts) and "is this me" (self-address.ts), as tables. */
import { describe, expect, it } from 'vitest';
import {
  admitDirect,
  admitTunneled,
  parseAuthority,
  type Tunnel,
} from '../../../src/proxy/admission.js';
import { createSelfAddresses, isLocalAddress } from '../../../src/proxy/self-address.js';

const login: Tunnel = { host: 'login.microsoftonline.com', port: 443, self: null };

describe('parseAuthority', () => {
  it.each([
    ['login.microsoftonline.com', 443, { host: 'login.microsoftonline.com', port: 443 }],
    ['LOGIN.microsoftonline.com:8443', 443, { host: 'login.microsoftonline.com', port: 8443 }],
    ['[::1]:8080', 80, { host: '::1', port: 8080 }],
    ['[::1]', 80, { host: '::1', port: 80 }],
    ['example.com.', 80, { host: 'example.com', port: 80 }],
    ['a:b:c', 80, undefined],
    ['host:99999', 80, undefined],
    ['', 80, undefined],
    ['user@host', 80, undefined],
  ])('%s (default %i)', (text, def, want) => {
    expect(parseAuthority(text, def)).toEqual(want);
  });
});

describe('admitTunneled', () => {
  it.each([
    ['login.microsoftonline.com', 'upstream'],
    ['Login.MicrosoftOnline.COM:443', 'upstream'],
    ['login.microsoftonline.com:8443', 'misdirected'],
    ['graph.microsoft.com', 'misdirected'],
    ['127.0.0.1:8080', 'misdirected'],
  ])('Host %s -> %s', (host, to) => {
    expect(admitTunneled(login, true, '/x', host).to).toBe(to);
  });

  it('takes the absolute-form authority over the Host header', () => {
    expect(admitTunneled(login, true, 'https://evil.test/x', 'login.microsoftonline.com').to).toBe(
      'misdirected',
    );
  });

  it('uses the default port of the connection (80 for plain HTTP in a tunnel)', () => {
    const plain: Tunnel = { host: '127.0.0.1', port: 80, self: null };
    expect(admitTunneled(plain, false, '/', '127.0.0.1').to).toBe('upstream');
    expect(admitTunneled({ ...plain, port: 8080 }, false, '/', '127.0.0.1').to).toBe('misdirected');
  });

  it('answers for the proxy itself, and wants a Host', () => {
    expect(admitTunneled({ ...login, self: 'proxy' }, true, '/', login.host).to).toBe('proxy');
    expect(admitTunneled(login, true, '/', undefined).to).toBe('bad-request');
  });
});

describe('admitDirect', () => {
  const never = () => null;
  it('treats origin form as addressed to the proxy', () => {
    expect(admitDirect('/', never)).toEqual({ to: 'proxy' });
    expect(admitDirect('*', never)).toEqual({ to: 'proxy' });
  });
  it('routes absolute form to its URL unless that is us', async () => {
    expect(admitDirect('http://169.254.169.254/metadata', never)).toEqual({
      to: 'upstream',
      target: { host: '169.254.169.254', port: 80 },
    });
    expect(await admitDirect('http://localhost:9/', () => Promise.resolve('dashboard'))).toEqual({
      to: 'dashboard',
    });
  });
});

describe('self addresses', () => {
  const ifaces = () => ['192.0.2.7', 'fe80::1', '2001:db8::5'];
  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['::ffff:127.0.0.1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['192.0.2.7', true],
    ['::ffff:192.0.2.7', true],
    ['2001:DB8:0::5', true],
    ['192.0.2.8', false],
    ['10.0.0.1', false],
  ])('%s local: %s', (ip, want) => {
    expect(isLocalAddress(ip, ifaces())).toBe(want);
  });

  it('decides on resolved addresses and the port, not on spelling', async () => {
    const names: Record<string, string[]> = {
      '127.1': ['127.0.0.1'],
      'me.example': ['192.0.2.7'],
      'far.example': ['203.0.113.9'],
    };
    const own = createSelfAddresses({
      resolve: (h) =>
        names[h] ? Promise.resolve(names[h]) : Promise.reject(new Error('ENOTFOUND')),
      interfaces: ifaces,
    });
    own.listen('proxy', 8080);
    own.listen('dashboard', 9090);
    expect(await own.which('localhost', 8080)).toBe('proxy');
    expect(await own.which('LOCALHOST.', 8080)).toBe('proxy');
    expect(await own.which('127.1', 8080)).toBe('proxy');
    expect(await own.which('[::1]', 9090)).toBe('dashboard');
    expect(await own.which('me.example', 8080)).toBe('proxy');
    expect(await own.which('far.example', 8080)).toBeNull();
    expect(await own.which('nowhere.example', 8080)).toBeNull();
    expect(await own.which('127.0.0.1', 8081)).toBeNull();
    own.listen('dashboard', null);
    expect(own.ours(9090)).toBe(false);
  });
});
