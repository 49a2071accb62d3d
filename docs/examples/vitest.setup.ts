// In each test worker: send Node's fetch and undici through the proxy named by HTTPS_PROXY.
// (Node 20's fetch does not read the *_PROXY variables by itself.) MSAL Node takes a network
// client instead: see sim/flow-net.ts in this repository for one built on undici's ProxyAgent.
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';

if (process.env.HTTPS_PROXY) setGlobalDispatcher(new EnvHttpProxyAgent());
