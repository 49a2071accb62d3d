/**
 * Loaded into every Node process that `run` starts (`NODE_OPTIONS=--import <this file>`).
 *
 * Node 20's global `fetch` ignores HTTPS_PROXY. This sets undici's EnvHttpProxyAgent as the global
 * dispatcher, which both Node's built-in fetch and the undici package use, so they follow
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY with no change in the child's code. The proxy CA is trusted
 * through NODE_EXTRA_CA_CERTS, which `run` sets too. Never fatal: a child whose Node cannot load
 * undici runs on, with one line on stderr saying its fetch is not routed.
 */
try {
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici');
  setGlobalDispatcher(new EnvHttpProxyAgent());
} catch (err) {
  process.stderr.write(
    `entra-bas-proxy: this Node process's fetch is not routed through the proxy (${err instanceof Error ? err.message : String(err)})\n`,
  );
}
export {};
