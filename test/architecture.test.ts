import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The import graph read from the source text: every `import … from`, `export … from`, `import '…'`
// and `import('…')` with a relative path, type-only imports included (a type that runs against the
// data flow still ties the lower folder to the higher one).
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\s*\(?\s*['"](\.[^'"]+)['"]/g;

/**
 * Data flows from capture to the CLI: a folder imports only folders before it here. `runtime`
 * (where compiled worker scripts are) and `format` (numbers and times as text) are leaves that
 * any layer may use; `protocols` parses application payloads (DNS, HTTP, TLS) for the analysis;
 * `extract` reads a capture's packets back for a flow, alert or time range (the analysis' keys);
 * `enrich` looks up country and AS of addresses in shipped data (after the analysis, whose
 * address parsing it uses; the ingest stores its answers);
 * `search` compiles the search language from the analysis' names into SQL
 * for the layers above; `generate` writes captures and stores the demo, so it sits above ingest.
 */
const LAYERS = [
  'runtime',
  'format',
  'store',
  'capture',
  'decode',
  'protocols',
  'analysis',
  'enrich',
  'extract',
  'detect',
  'search',
  'storage',
  'ingest',
  'packets',
  'generate',
  'cluster',
  'server',
  'cli',
] as const;

/** The modules of src/ the dashboard may import: small and pure, with no Node-only imports. */
const WEB_MAY_IMPORT = [
  'src/format/index.ts',
  'src/format/text.ts',
  'src/analysis/local-nets.ts',
  'src/storage/session-id.ts',
];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** File → the project files it imports (paths from the project root, .ts). */
function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap(tsFiles)) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const targets = new Set<string>();
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const abs = resolve(ROOT, dirname(file), spec);
      targets.add(relative(ROOT, abs).replace(/\.js$/, '.ts'));
    }
    graph.set(
      file,
      [...targets].filter((t) => !t.startsWith('node_modules')),
    );
  }
  return graph;
}

/** Every cycle's files, one strongly connected component with more than one file (or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative bookkeeping kept small: the graph has a few hundred files.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function layerOf(file: string): number {
  const folder = /^src\/([^/]+)\//.exec(file)?.[1];
  return LAYERS.indexOf(folder as (typeof LAYERS)[number]);
}

describe('the import graph', () => {
  const graph = importGraph(['src', 'bench']);

  it('reads the imports of every source file (the regex still matches how the code imports)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('src/cli/main.ts')?.length).toBeGreaterThan(0);
  });

  it('has no import cycle in src/ or bench/', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has every folder of src/ in the layer order', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !LAYERS.includes(f as (typeof LAYERS)[number]))).toEqual([]);
  });

  it('never imports against the data flow: a lower folder imports no higher one', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      if (!file.startsWith('src/')) continue;
      for (const target of targets) {
        if (layerOf(target) > layerOf(file)) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('lets the dashboard import only the small pure modules of src/', () => {
    const web = importGraph(['web/src']);
    const reached: string[] = [];
    for (const [file, targets] of web) {
      // The web's unit tests check the pages against the analysis itself; they are not in the page.
      if (/\.test\.tsx?$/.test(file)) continue;
      for (const target of targets) {
        if (target.startsWith('src/') && !WEB_MAY_IMPORT.includes(target))
          reached.push(`${file} → ${target}`);
      }
    }
    expect(reached).toEqual([]);
    // Those modules themselves stay leaves, so the page never pulls Node code in through them.
    for (const module of WEB_MAY_IMPORT) expect(graph.get(module), module).toEqual([]);
  });
});
