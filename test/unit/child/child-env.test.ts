import { describe, expect, it } from 'vitest';
import {
  childEnv,
  javaNonProxyHosts,
  javaToolOptions,
  withPreload,
} from '../../../src/child-env.js';

const base = {
  PATH: '/usr/bin',
  NODE_OPTIONS: '--max-old-space-size=4096',
  JAVA_TOOL_OPTIONS: '-Xmx1g',
  NO_PROXY: 'localhost,.corp.example,login.microsoftonline.com,10.0.0.0/8',
};

function env(extra: Partial<Parameters<typeof childEnv>[0]> = {}) {
  return childEnv({
    proxyUrl: 'http://127.0.0.1:8123',
    caPath: '/c/ca.pem',
    bundlePath: '/c/ca-bundle.pem',
    interceptHosts: [],
    base,
    nodePreloadUrl: 'file:///pkg/dist/child/node-preload.js',
    wgetrcPath: '/c/wgetrc-8123',
    javaTrustStore: '/c/java-cacerts-0123456789abcdef',
    ...extra,
  });
}

describe('childEnv', () => {
  it('adds the Node preload to NODE_OPTIONS, keeping what was there, once', () => {
    const e = env();
    expect(e.NODE_OPTIONS).toBe(
      '--max-old-space-size=4096 --import file:///pkg/dist/child/node-preload.js',
    );
    // a nested run does not stack it
    expect(withPreload(e.NODE_OPTIONS, 'file:///pkg/dist/child/node-preload.js')).toBe(
      e.NODE_OPTIONS,
    );
    expect(withPreload(undefined, 'file:///x.js')).toBe('--import file:///x.js');
    expect(env({ nodePreloadUrl: null }).NODE_OPTIONS).toBe('--max-old-space-size=4096');
  });

  it('gives every bundle-reading tool the bundle (roots + CA), wget its wgetrc, Node the CA', () => {
    const e = env();
    for (const k of ['REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO'])
      expect(e[k]).toBe('/c/ca-bundle.pem');
    expect(e.NODE_EXTRA_CA_CERTS).toBe('/c/ca.pem');
    expect(e.WGETRC).toBe('/c/wgetrc-8123');
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'])
      expect(e[k]).toBe('http://127.0.0.1:8123');
    expect(e.NO_PROXY).toBe('localhost,.corp.example,10.0.0.0/8');
  });

  it('appends the proxy and truststore to JAVA_TOOL_OPTIONS, only when there is a truststore', () => {
    const e = env();
    expect(e.JAVA_TOOL_OPTIONS).toBe(
      '-Xmx1g -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=8123 -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=8123 ' +
        '-Dhttp.nonProxyHosts=localhost|127.*|[::1]|0.0.0.0|[::0]|*.localhost|*.corp.example ' +
        '-Djavax.net.ssl.trustStore=/c/java-cacerts-0123456789abcdef -Djavax.net.ssl.trustStorePassword=changeit',
    );
    expect(env({ javaTrustStore: null }).JAVA_TOOL_OPTIONS).toBe('-Xmx1g');
  });
});

describe('Java options', () => {
  it('turn NO_PROXY into http.nonProxyHosts (suffix semantics, no CIDR), keeping the JDK defaults', () => {
    expect(javaNonProxyHosts('', [])).toBe('localhost|127.*|[::1]|0.0.0.0|[::0]');
    expect(
      javaNonProxyHosts('example.com,.b.test,*.c.test,10.1.2.3,10.0.0.0/8,d.test:8080', []),
    ).toBe(
      'localhost|127.*|[::1]|0.0.0.0|[::0]|example.com|*.example.com|*.b.test|*.c.test|10.1.2.3|d.test|*.d.test',
    );
  });

  it('never exempt a local managed-identity endpoint (App Service: 127.0.0.1) from the proxy', () => {
    expect(javaNonProxyHosts('', ['127.0.0.1', '169.254.169.254'])).toBe(
      'localhost|[::1]|0.0.0.0|[::0]',
    );
  });

  it('quote values with spaces (JAVA_TOOL_OPTIONS splits on white space) and bracket-strip IPv6', () => {
    const o = javaToolOptions('http://[::1]:9000', '/My Certs/store', '', []);
    expect(o).toContain('-Dhttps.proxyHost=::1 -Dhttps.proxyPort=9000');
    expect(o).toContain('"-Djavax.net.ssl.trustStore=/My Certs/store"');
  });
});
