/**
 * The product's import graph, read with the TypeScript compiler's parser (no new dependency):
 * every relative import, export-from, `import()`, `require()` and `import('x').T` type of each
 * file under src/, type-only ones included (a type import still says which layer knows which).
 * Also what each file does that only one module may do: name http-mitm-proxy in a string, patch
 * the global console.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ModuleFacts {
  /** Relative imports, resolved to repository paths (`src/core/hosts.ts`, `sim/entra-sim.ts`). */
  readonly imports: readonly string[];
  /** Whether a string literal names http-mitm-proxy (an import, a require, a resolve). */
  readonly namesMitmLibrary: boolean;
  /** `console.x = ...`, `globalThis.console.x = ...`, `Object.assign(console, ...)`: where. */
  readonly consolePatches: readonly string[];
}

/** Repository path -> its facts, for every .ts file under `dir` (e.g. `src`). */
export function readModules(root: string, dir: string): Map<string, ModuleFacts> {
  const out = new Map<string, ModuleFacts>();
  const walk = (abs: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts'))
        out.set(toPosix(relative(root, p)), moduleFacts(toPosix(relative(root, p)), p));
    }
  };
  walk(join(root, dir));
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** The facts of one file, from its text (exported for the checks' own tests). */
export function moduleFacts(path: string, absOrText: string, text?: string): ModuleFacts {
  const src = ts.createSourceFile(
    path,
    text ?? readFileSync(absOrText, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const imports: string[] = [];
  const consolePatches: string[] = [];
  let namesMitmLibrary = false;
  const add = (spec: string): void => {
    if (spec.startsWith('.'))
      imports.push(posix.normalize(posix.join(posix.dirname(path), spec)).replace(/\.js$/, '.ts'));
  };
  const isConsole = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && e.text === 'console') ||
    (ts.isPropertyAccessExpression(e) &&
      e.name.text === 'console' &&
      ts.isIdentifier(e.expression) &&
      /^(globalThis|global|window|self)$/.test(e.expression.text));
  const where = (n: ts.Node): string =>
    `${path}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier)) add(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n)) {
      const [first] = n.arguments;
      const callee = n.expression;
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require');
      if (loads && first && ts.isStringLiteralLike(first)) add(first.text);
      if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        /^(Object|Reflect)$/.test(callee.expression.text) &&
        /^(assign|defineProperty|defineProperties|setPrototypeOf|set)$/.test(callee.name.text) &&
        first &&
        isConsole(first)
      )
        consolePatches.push(where(n));
    } else if (ts.isImportTypeNode(n)) {
      const a = n.argument;
      if (ts.isLiteralTypeNode(a) && ts.isStringLiteral(a.literal)) add(a.literal.text);
    } else if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      (ts.isPropertyAccessExpression(n.left) || ts.isElementAccessExpression(n.left)) &&
      isConsole(n.left.expression)
    ) {
      consolePatches.push(where(n));
    }
    if (ts.isStringLiteralLike(n) && /^http-mitm-proxy(\/|$)/.test(n.text)) namesMitmLibrary = true;
    ts.forEachChild(n, visit);
  };
  visit(src);
  return { imports, namesMitmLibrary, consolePatches };
}

/** Every import cycle (as a strongly connected component of two or more modules, or a self-import). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

/** The layer of a src/ path: the first of `layers` whose prefix it starts with, else undefined. */
export function layerOf(
  path: string,
  layers: readonly (readonly [string, readonly string[]])[],
): number | undefined {
  const i = layers.findIndex(([, prefixes]) => prefixes.some((p) => path.startsWith(p)));
  return i < 0 ? undefined : i;
}

/** `from -> to` for every import of a src module into a higher layer. */
export function upwardImports(
  graph: ReadonlyMap<string, readonly string[]>,
  layers: readonly (readonly [string, readonly string[]])[],
): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) {
    const lf = layerOf(from, layers);
    for (const to of tos) {
      const lt = layerOf(to, layers);
      if (lf !== undefined && lt !== undefined && lt > lf) out.push(`${from} -> ${to}`);
    }
  }
  return out.sort();
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
