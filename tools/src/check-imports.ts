// Fails on import cycles between source files and on imports that break the package
// direction of STYLE.md (agent -> native, api; control/ui/cli -> api; never agent <-> control).
// Usage: node tools/dist/check-imports.js [repo root]
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Which workspace packages each package may import. */
const allowed: Record<string, string[]> = {
  api: [],
  native: ['api'],
  agent: ['api', 'native'],
  control: ['api'],
  ui: ['api'],
  cli: ['api'],
  e2e: ['api', 'native', 'agent', 'control', 'cli'],
  // The testbed is a library too: benchmarks that need a real API server bring it up.
  bench: ['api', 'native', 'agent', 'control', 'e2e'],
  tools: [],
};

const sourceFolders: Record<string, string> = { native: 'lib' };

const root = resolve(process.argv[2] ?? '.');
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

const problems: string[] = [];
const graph = new Map<string, string[]>();

for (const pkg of Object.keys(allowed)) {
  for (const file of sourceFiles(join(root, pkg, sourceFolders[pkg] ?? 'src'))) {
    const edges: string[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        edges.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      } else if (spec.startsWith('@weft/')) {
        const target = spec.slice('@weft/'.length).split('/')[0] ?? '';
        if (!(allowed[pkg] ?? []).includes(target)) {
          problems.push(`${relative(root, file)}: package '${pkg}' must not import '${spec}' (allowed: ${(allowed[pkg] ?? []).join(', ') || 'none'})`);
        }
      }
    }
    graph.set(file, edges);
  }
}

// Depth-first search with colours; a grey node reached again closes a cycle.
const colour = new Map<string, 'grey' | 'black'>();
const stack: string[] = [];
function visit(file: string): void {
  colour.set(file, 'grey');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    const c = colour.get(next);
    if (c === 'grey') {
      const cycle = stack.slice(stack.indexOf(next)).concat(next);
      problems.push(`import cycle: ${cycle.map((f) => relative(root, f)).join(' -> ')}`);
    } else if (c === undefined) {
      visit(next);
    }
  }
  stack.pop();
  colour.set(file, 'black');
}
for (const file of graph.keys()) if (!colour.has(file)) visit(file);

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stderr.write(`check-imports: ${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${graph.size} files, no cycles, package directions respected\n`);
