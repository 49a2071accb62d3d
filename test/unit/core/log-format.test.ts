import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { humanLine } from '../../../src/core/log-format.js';
import { createLogger } from '../../../src/core/logger.js';
import { plural } from '../../../src/core/plural.js';

const PLAIN = { color: false, shortTime: false };
const TTY = { color: true, shortTime: true };

/** A pino destination that keeps what it is given. */
function sink(): { dest: Writable & { write(s: string): boolean }; text: () => string } {
  let text = '';
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { dest, text: () => text };
}

const EXCHANGE = {
  level: 30,
  time: Date.UTC(2026, 11, 6, 7, 8, 9, 10),
  id: 'ab12-000001',
  method: 'POST',
  host: 'login.microsoftonline.com',
  path: '/organizations/oauth2/v2.0/token',
  endpoint: 'token',
  grant: 'client_credentials',
  app: '11111111-2222-3333-4444-555555555555',
  verdict: 'not-covered',
  status: 200,
  msg: 'POST login.microsoftonline.com/organizations/oauth2/v2.0/token token -> not-covered',
};

describe('humanLine', () => {
  it('makes an exchange one line: verdict, app, grant, host, then the request', () => {
    const line = humanLine(`${JSON.stringify(EXCHANGE)}\n`, PLAIN);
    expect(line).toBe(
      '2026-12-06T07:08:09.010Z not-covered    11111111-2222-3333-4444-555555555555 client_credentials login.microsoftonline.com POST /organizations/oauth2/v2.0/token 200\n',
    );
  });

  it('shows what is missing as -, the endpoint when there is no grant, and the error code', () => {
    const line = humanLine(
      JSON.stringify({
        ...EXCHANGE,
        app: null,
        grant: null,
        endpoint: 'saml2',
        verdict: 'unknown',
        status: null,
        error: 'upstream-dns',
      }),
      PLAIN,
    );
    expect(line).toMatch(
      /^\S+ unknown {8}- {36}saml2 {14}login\.microsoftonline\.com POST \S+ - error=upstream-dns\n$/,
    );
  });

  it('colours the verdict and uses a short local time on a terminal', () => {
    const line = humanLine(JSON.stringify(EXCHANGE), TTY);
    // eslint-disable-next-line no-control-regex -- the colour codes are what is tested
    expect(line).toMatch(/^\d\d:\d\d:\d\d \u001b\[31;1mnot-covered {3}\u001b\[0m 1111/);
    expect(humanLine(JSON.stringify({ ...EXCHANGE, verdict: 'covered' }), TTY)).toContain(
      '\u001b[32mcovered',
    );
  });

  it('writes other lines as time, level, message and key=value pairs', () => {
    const line = humanLine(
      JSON.stringify({
        level: 40,
        time: EXCHANGE.time,
        msg: 'login.example does not resolve',
        kind: 'PROXY_TO_SERVER_REQUEST_ERROR',
        detail: 'two words',
        n: 3,
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      }),
      PLAIN,
    );
    expect(line).toBe(
      '2026-12-06T07:08:09.010Z WARN  login.example does not resolve kind=PROXY_TO_SERVER_REQUEST_ERROR detail="two words" n=3 err="boom"\n',
    );
    expect(humanLine(JSON.stringify({ level: 50, time: 0, msg: 'x' }), TTY)).toMatch(
      // eslint-disable-next-line no-control-regex -- the colour codes are what is tested
      /^\d\d:\d\d:\d\d \u001b\[31mERROR\u001b\[0m x\n$/,
    );
  });

  it('never lets a logged value move the cursor or break the line', () => {
    const line = humanLine(
      JSON.stringify({ level: 30, time: 0, msg: 'a\u001b[2Jb\nc', host: 'h\u009bx' }),
      TTY,
    );
    expect(line.split('\n')).toHaveLength(2);
    expect(line).not.toContain('\u001b[2J');
    expect(line).not.toContain('\u009b');
  });

  it('passes a line that is not a JSON object on as one line', () => {
    expect(humanLine('not json\n', PLAIN)).toBe('not json\n');
    expect(humanLine('[1,2]\n', PLAIN)).toBe('[1,2]\n');
  });
});

describe('createLogger', () => {
  const planted = {
    headers: { authorization: 'Bearer PLANTED-AUTH', cookie: 'PLANTED-COOKIE' },
    password: 'PLANTED-PASSWORD',
    client_secret: 'PLANTED-SECRET',
    code: 'PLANTED-CODE',
    form: { refresh_token: 'PLANTED-REFRESH' },
  };

  it.each(['human', 'json'] as const)('keeps the redaction in force in %s lines', (format) => {
    const s = sink();
    const log = createLogger({ level: 'debug', format, dest: s.dest });
    log.info(planted, 'planted');
    log.child({ exchangeId: 'x' }).warn(planted, 'planted again');
    expect(s.text()).toContain('planted');
    expect(s.text()).not.toMatch(/PLANTED-/);
    expect(s.text()).toContain('[redacted]');
  });

  it('writes human lines by request, JSON lines by default', () => {
    const human = sink();
    createLogger({ format: 'human', dest: human.dest }).info({ n: 1 }, 'hello');
    expect(human.text()).toMatch(/^\S+Z INFO {2}hello n=1\n$/);
    const json = sink();
    createLogger({ dest: json.dest }).info({ n: 1 }, 'hello');
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, msg: 'hello', n: 1 });
  });
});

describe('plural', () => {
  it.each([
    [0, 'exchange', undefined, '0 exchanges'],
    [1, 'exchange', undefined, '1 exchange'],
    [2, 'application', undefined, '2 applications'],
    [1, 'entry', 'entries', '1 entry'],
    [3, 'entry', 'entries', '3 entries'],
  ])('%i %s', (n, one, many, text) => {
    expect(plural(n, one, many)).toBe(text);
  });
});
