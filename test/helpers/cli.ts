/** Runs the real CLI (dist/cli/main.js, built by `npm test`) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface RunningCli {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly caPath: string;
  readonly dashboardUrl: string | null;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion. */
export function runCli(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${err}`));
    }, opts.timeoutMs ?? 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
    proc.stdin.end(opts.input ?? '');
  });
}

/** Starts a long-running CLI command and waits for its listening line. */
export function startCli(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; waitForDashboard?: boolean } = {},
): Promise<RunningCli> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    const exited = new Promise<number | string>((r) =>
      proc.once('exit', (code, sig) => r(code ?? sig ?? -1)),
    );
    const timer = setTimeout(
      () => fail(new Error(`no listening line within 20 s\nstdout: ${out}\nstderr: ${err}`)),
      20_000,
    );
    function fail(e: Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    }
    function check(): void {
      if (done) return;
      const m = /entra-bas-proxy listening on (http:\/\/\S+) \(CA: (.+)\)/.exec(out);
      if (!m) return;
      const d = /entra-bas-proxy dashboard on (http:\/\/\S+)/.exec(out);
      if (opts.waitForDashboard && !d) return;
      done = true;
      clearTimeout(timer);
      resolve({
        proc,
        url: m[1]!,
        caPath: m[2]!,
        dashboardUrl: d?.[1] ?? null,
        stdout: () => out,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          proc.kill(signal);
          return exited;
        },
      });
    }
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) =>
      fail(
        new Error(`CLI exited (${code ?? '?'}) before listening\nstdout: ${out}\nstderr: ${err}`),
      ),
    );
  });
}
