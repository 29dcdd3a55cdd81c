// Prints every public entry's exported names as the built declaration files declare them, one line per
// name: `<file> <name> <value|type>`. Diff its output before and after a refactor to show that the public
// API kept the same names. Run after `npm run build`.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { publicEntries } from './public-entries.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const files = publicEntries(pkg).flatMap((entry) => [`dist/${entry.distName}.d.ts`, `dist/${entry.distName}.d.cts`]);
const program = ts.createProgram(files, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  noEmit: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
for (const file of files) {
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file}: not a module (was it built?)`);
  const lines = checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return `${file} ${symbol.getName()} ${target.flags & ts.SymbolFlags.Value ? 'value' : 'type'}`;
  });
  for (const line of lines.sort()) console.log(line);
}
