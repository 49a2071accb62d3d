/* global msal */
// A minimal SPA on @azure/msal-browser: loginRedirect (auth code + PKCE), then handleRedirectPromise
// on the way back. Test-only; the state goes into <body data-state> for the browser test to wait on.
(async function main() {
  var cfg = window.TEST_CONFIG;
  var out = document.getElementById('out');
  function set(state, text) {
    document.body.dataset.state = state;
    out.textContent = text;
  }
  try {
    var pca = new msal.PublicClientApplication({
      auth: { clientId: cfg.clientId, authority: cfg.authority, redirectUri: cfg.redirectUri },
      cache: { cacheLocation: 'sessionStorage' },
    });
    await pca.initialize();
    var result = await pca.handleRedirectPromise();
    if (result) {
      set(
        'signed-in',
        JSON.stringify({
          username: result.account && result.account.username,
          tenantId: result.tenantId,
          scopes: result.scopes,
          hasAccessToken: Boolean(result.accessToken),
        }),
      );
      return;
    }
    set('redirecting', 'redirecting to sign in…');
    await pca.loginRedirect({ scopes: cfg.scopes });
  } catch (e) {
    set('error', String((e && e.errorCode) || 'error') + ': ' + String((e && e.message) || e));
  }
})();
