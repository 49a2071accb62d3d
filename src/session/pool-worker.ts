/**
 * A pool worker (pool.ts): runs the tasks of TASKS (tasks.ts) on the jobs it is sent, one at a
 * time, in the order they come. Nothing else: no session, no file, no state between jobs.
 *
 * The protocol, the only one between the pool and its workers:
 * - the worker says `{ ready: true }` once loaded;
 * - the pool sends `{ id, task, input }`;
 * - the worker answers `{ id, output }`, or `{ id, error }` (a one-line message) when the task
 *   threw: an error for that job only, the worker carries on.
 *
 * workerData: `{ nice?: number }`, this thread's scheduling priority (Linux; see below).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { oneLine, ToolError, type ErrCode } from '../core/errors.js';
import { runTask, type TaskName } from './tasks.js';

export interface PoolRequest {
  readonly id: number;
  readonly task: TaskName;
  readonly input: unknown;
}

export type PoolReply =
  | { readonly ready: true }
  | { readonly id: number; readonly output: unknown }
  /** `code`: the task threw a ToolError (a one-line verdict on its input), kept as it is. */
  | { readonly id: number; readonly error: string; readonly code?: ErrCode };

export interface PoolWorkerData {
  readonly nice?: number;
}

const port = parentPort;
if (port) {
  const data = (workerData ?? {}) as PoolWorkerData;
  if (data.nice) lowerThreadPriority(data.nice);
  const send = (m: PoolReply): void => port.postMessage(m);
  port.on('message', (m: PoolRequest) => {
    let output: unknown;
    try {
      output = runTask(m.task, m.input as never);
    } catch (err) {
      send({
        id: m.id,
        error: oneLine(err),
        ...(err instanceof ToolError ? { code: err.code } : {}),
      });
      return;
    }
    send({ id: m.id, output });
  });
  send({ ready: true });
}

/**
 * Give this thread (not the process) a lower scheduling priority, where the OS allows naming a
 * thread: on Linux /proc/thread-self names its task id, and setpriority() on a task id applies to
 * that thread alone. Elsewhere, or when refused, nothing changes.
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the tasks run at the caller's priority.
  }
}
