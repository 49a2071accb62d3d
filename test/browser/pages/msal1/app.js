/* global Msal */
// A minimal SPA on the legacy msal 1.x package: loginRedirect with the implicit flow asking for an
// id_token only. Test-only; the state goes into <body data-state> for the browser test to wait on.
(function main() {
  var cfg = window.TEST_CONFIG;
  var out = document.getElementById('out');
  function set(state, text) {
    document.body.dataset.state = state;
    out.textContent = text;
  }
  try {
    var app = new Msal.UserAgentApplication({
      auth: { clientId: cfg.clientId, authority: cfg.authority, redirectUri: cfg.redirectUri },
      cache: { cacheLocation: 'sessionStorage' },
    });
    var done = false;
    app.handleRedirectCallback(function (err, response) {
      done = true;
      if (err) {
        set(
          'error',
          String(err.errorCode || 'error') + ': ' + String(err.errorMessage || err.message || err),
        );
        return;
      }
      set(
        'signed-in',
        JSON.stringify({
          username: response.account && response.account.userName,
          tenantId: response.tenantId,
          tokenType: response.tokenType,
        }),
      );
    });
    if (done) return;
    if (app.getAccount()) {
      set('signed-in', JSON.stringify({ username: app.getAccount().userName, cached: true }));
      return;
    }
    set('redirecting', 'redirecting to sign in…');
    app.loginRedirect({ scopes: cfg.scopes });
  } catch (e) {
    set('error', String((e && e.errorCode) || 'error') + ': ' + String((e && e.message) || e));
  }
})();
