/**
 * Microsoft's own KQL language service (npm @kusto/language-service-next, the parser and semantic
 * analyzer of Kusto Explorer and the Azure portal), loaded in Node: it parses a query and checks
 * it against a database of table schemas, the way the engine would before running it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface TableSchema {
  readonly source: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

export interface KqlDiagnostic {
  readonly severity: string;
  readonly message: string;
  /** The text the diagnostic points at. */
  readonly at: string;
}

/* The bridge is untyped JavaScript that defines globals: only the few calls used here. */
interface KustoGlobal {
  Language: {
    GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
    KustoCode: {
      ParseAndAnalyze(
        text: string,
        globals: unknown,
      ): {
        GetDiagnostics(): {
          Count: number;
          getItem(i: number): { Severity: string; Message: string; Start: number; Length: number };
        };
      };
    };
    Symbols: {
      TableSymbol: { From(schema: string): { WithName(name: string): unknown } };
      DatabaseSymbol: { ctor: new (name: string, tables: unknown[]) => unknown };
    };
  };
}

let kusto: KustoGlobal | null = null;

function load(): KustoGlobal {
  if (kusto) return kusto;
  const require = createRequire(import.meta.url);
  require('@kusto/language-service-next/bridge.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.js');
  kusto = (globalThis as unknown as { Kusto: KustoGlobal }).Kusto;
  return kusto;
}

export function loadSchemas(path: string): Record<string, TableSchema> {
  return (JSON.parse(readFileSync(path, 'utf8')) as { tables: Record<string, TableSchema> }).tables;
}

/** Parse and analyze `query` against a database holding `tables`; every diagnostic it reports. */
export function kqlDiagnostics(
  query: string,
  tables: Readonly<Record<string, TableSchema>>,
): KqlDiagnostic[] {
  const K = load();
  let globals = databases.get(tables);
  if (globals === undefined) {
    globals = database(K, tables);
    databases.set(tables, globals);
  }
  const d = K.Language.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < d.Count; i++) {
    const x = d.getItem(i);
    out.push({
      severity: String(x.Severity),
      message: x.Message,
      at: query.slice(x.Start, x.Start + x.Length),
    });
  }
  return out;
}

const databases = new WeakMap<object, unknown>();

function database(K: KustoGlobal, tables: Readonly<Record<string, TableSchema>>): unknown {
  const symbols = Object.entries(tables).map(([name, t]) =>
    K.Language.Symbols.TableSymbol.From(
      `(${t.columns.map((c) => `['${c.name}']:${c.type}`).join(', ')})`,
    ).WithName(name),
  );
  const db = new K.Language.Symbols.DatabaseSymbol.ctor('SignIns', symbols);
  return K.Language.GlobalState.Default.WithDatabase(db);
}
