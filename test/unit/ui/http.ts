/** Test-only HTTP helpers for the dashboard tests: raw node:http so the Host header can be forged. */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export function get(
  base: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; setHost?: boolean } = {},
): Promise<Reply> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        setHost: opts.setHost ?? true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Opens the event stream and collects parsed events; `close()` ends it. */
export function openEvents(base: string): Promise<{
  readonly res: IncomingMessage;
  readonly events: SseEvent[];
  next(event: string, after?: number): Promise<SseEvent>;
  close(): void;
}> {
  const u = new URL('/api/events', base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname }, (res) => {
      const events: SseEvent[] = [];
      const waiters: (() => void)[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: data.join('\n') });
        }
        for (const w of waiters.splice(0)) w();
      });
      resolve({
        res,
        events,
        next(event, after = 0) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no ${event} event`)), 5000);
            const check = (): void => {
              const found = events.slice(after).find((e) => e.event === event);
              if (found) {
                clearTimeout(timer);
                ok(found);
              } else waiters.push(check);
            };
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
