import { describe, expect, it } from 'vitest';
import {
  isLoopbackBindAddress,
  isLoopbackHostHeader,
  parseHostHeader,
  urlHost,
} from '../../../src/ui/loopback.js';

describe('isLoopbackBindAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['127.0.0.256', false],
    ['192.168.0.1', false],
    ['example.com', false],
  ])('%s -> %s', (host, ok) => {
    expect(isLoopbackBindAddress(host)).toBe(ok);
  });
});

describe('isLoopbackHostHeader', () => {
  it.each([
    ['127.0.0.1:8080', true],
    ['localhost', true],
    ['LocalHost:1', true],
    ['app.localhost:3000', true],
    ['[::1]:9000', true],
    ['localhost.', true],
    ['evil.example', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.evil.example', false],
    ['[::1', false],
    ['localhost:99999999', false],
    ['a:b:c', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (value, ok) => {
    expect(isLoopbackHostHeader(value)).toBe(ok);
  });
});

describe('parseHostHeader / urlHost', () => {
  it('splits host and port', () => {
    expect(parseHostHeader('[::1]:80')).toEqual({ hostname: '::1', port: 80 });
    expect(parseHostHeader('localhost')).toEqual({ hostname: 'localhost', port: null });
  });
  it('brackets IPv6 literals', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
  });
});
