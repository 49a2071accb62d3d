/**
 * The shape of src/, as tests: no import cycle, no import up the layers, the tooling (sim/,
 * tools/) and the tests out of the product, http-mitm-proxy reached by one module only, and the
 * global console left alone. Each check is also run on a planted graph, to show it can fail.
 */
import { describe, expect, it } from 'vitest';
import {
  importCycles,
  layerOf,
  moduleFacts,
  readModules,
  REPO_ROOT,
  upwardImports,
} from '../../helpers/import-graph.js';

/**
 * The layers of src/, lowest first: a module imports its own layer or lower ones, never higher.
 * index.ts (the public API) and cli/ sit on top and may import anything.
 */
const LAYERS = [
  // Types, errors, the logger, host facts and other pure facts; version.ts reads package.json.
  ['core', ['src/core/', 'src/version.ts']],
  // What a child process started by `run` needs (its environment, CA bundle, trust stores).
  ['child', ['src/child/', 'src/child-env.ts']],
  // Parse and classify one exchange; the rules; the session aggregates.
  ['classifiers', ['src/classifiers/']],
  // Inputs read into the pipeline: HAR files, session logs, sign-in log exports.
  ['sources', ['src/sources/']],
  // Reports from records and aggregates.
  ['report', ['src/report/']],
  // Recording: the pool, the recording step, the offline pipelines.
  ['session', ['src/session/']],
  // The live dashboard (it reads a LiveSession, core/live.ts; the proxy starts it).
  ['ui', ['src/ui/']],
  // The live proxy: http-mitm-proxy adapter, CA, policy, the running session.
  ['proxy', ['src/proxy/']],
  ['cli', ['src/cli/', 'src/index.ts']],
] as const satisfies readonly (readonly [string, readonly string[]])[];

/**
 * Imports allowed to run up the layers, each with its reason. Empty: keep it so, or say why here.
 */
const ALLOWED_UPWARD: readonly { readonly edge: string; readonly why: string }[] = [];

/** The only product modules that load the tooling: they start the simulator. */
const LOADS_TOOLING = ['src/cli/commands/demo.ts', 'src/cli/commands/sim.ts'];
/** The one module that imports http-mitm-proxy and touches its internals. */
const MITM_LIBRARY = 'src/proxy/mitm-library.ts';

const modules = readModules(REPO_ROOT, 'src');
const graph = new Map([...modules].map(([p, f]) => [p, f.imports]));

describe('the import graph of src/', () => {
  it('reads the product (sanity: the graph is not empty)', () => {
    expect(modules.size).toBeGreaterThan(100);
    expect(graph.get('src/proxy/mitm-adapter.ts')).toContain(MITM_LIBRARY);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('places every module in a layer', () => {
    expect([...modules.keys()].filter((p) => layerOf(p, LAYERS) === undefined)).toEqual([]);
  });

  it('has no import that runs up the layers, beyond the listed ones', () => {
    const allowed = new Set(ALLOWED_UPWARD.map((a) => a.edge));
    expect(upwardImports(graph, LAYERS).filter((e) => !allowed.has(e))).toEqual([]);
    // An allowance that is no longer needed goes.
    expect([...allowed].filter((e) => !upwardImports(graph, LAYERS).includes(e))).toEqual([]);
  });

  it('imports only src/ (the tooling only for demo and sim; never the tests)', () => {
    const outside = [...graph].flatMap(([from, tos]) =>
      tos.filter((to) => !to.startsWith('src/')).map((to) => `${from} -> ${to}`),
    );
    const bad = outside.filter(
      (e) => !LOADS_TOOLING.some((f) => e.startsWith(`${f} -> `)) || !/ -> sim\//.test(e),
    );
    expect(bad).toEqual([]);
  });

  it('names http-mitm-proxy in one module only', () => {
    const naming = [...modules].filter(([, f]) => f.namesMitmLibrary).map(([p]) => p);
    expect(naming).toEqual([MITM_LIBRARY]);
  });

  it('never patches the global console', () => {
    expect([...modules.values()].flatMap((f) => f.consolePatches)).toEqual([]);
  });
});

describe('the checks fail on a planted violation', () => {
  it('an upward import', () => {
    const planted = new Map([
      ['src/core/hosts.ts', ['src/proxy/policy.ts']],
      ['src/proxy/policy.ts', ['src/core/hosts.ts']],
      ['src/cli/main.ts', ['src/proxy/policy.ts']],
    ]);
    expect(upwardImports(planted, LAYERS)).toEqual(['src/core/hosts.ts -> src/proxy/policy.ts']);
  });

  it('a cycle, read from the source text', () => {
    const a = moduleFacts('src/sources/a.ts', '', "import type { B } from './b.js';\n");
    const b = moduleFacts('src/sources/b.ts', '', "export * from './c.js';\n");
    const c = moduleFacts('src/sources/c.ts', '', "const a = await import('./a.js');\n");
    expect(a.imports).toEqual(['src/sources/b.ts']);
    const planted = new Map([
      ['src/sources/a.ts', a.imports],
      ['src/sources/b.ts', b.imports],
      ['src/sources/c.ts', c.imports],
      ['src/sources/d.ts', ['src/sources/a.ts']],
    ]);
    expect(importCycles(planted)).toEqual([
      ['src/sources/a.ts', 'src/sources/b.ts', 'src/sources/c.ts'],
    ]);
  });

  it('a module outside the layers, the tooling, http-mitm-proxy and console patches', () => {
    expect(layerOf('src/plugins/x.ts', LAYERS)).toBeUndefined();
    const f = moduleFacts(
      'src/proxy/x.ts',
      '',
      [
        "import { Proxy } from 'http-mitm-proxy';",
        "import type { X } from '../../sim/entra-sim.js';",
        "type Y = import('../../tools/bench/main.js').Y;",
        "const ca = createRequire(import.meta.url)('http-mitm-proxy/dist/lib/ca.js');",
        'console.debug = () => undefined;',
        'globalThis.console.error = () => undefined;',
        "console['info'] ??= () => undefined;",
        'Object.assign(console, { log: () => undefined });',
        '// console.warn = x; in a comment is fine',
      ].join('\n'),
    );
    expect(f.imports).toEqual(['sim/entra-sim.ts', 'tools/bench/main.ts']);
    expect(f.namesMitmLibrary).toBe(true);
    expect(f.consolePatches).toEqual([
      'src/proxy/x.ts:5',
      'src/proxy/x.ts:6',
      'src/proxy/x.ts:7',
      'src/proxy/x.ts:8',
    ]);
  });
});
