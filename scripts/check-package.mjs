// Checks that every public entry is declared the same way everywhere a user or tool meets it: the
// `exports` map (import and require, each with its own types), `typesVersions` (TypeScript's old
// `moduleResolution: node`), the built files, and the source file typedoc documents. publint and attw
// check the package as packed; this catches an entry added to one list and forgotten in another.
// Run after `npm run build`.
import { existsSync, readFileSync } from 'node:fs';
import { publicEntries } from './public-entries.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const problems = [];
const typesVersions = pkg.typesVersions?.['*'] ?? {};

for (const entry of publicEntries(pkg)) {
  const conditions = pkg.exports[entry.subpath];
  const name = `exports["${entry.subpath}"]`;
  const expected = {
    import: { types: `./dist/${entry.distName}.d.ts`, default: `./dist/${entry.distName}.js` },
    require: { types: `./dist/${entry.distName}.d.cts`, default: `./dist/${entry.distName}.cjs` },
  };
  if (JSON.stringify(conditions) !== JSON.stringify(expected)) {
    problems.push(`${name} should be ${JSON.stringify(expected)}`);
  }
  for (const file of Object.values(expected).flatMap((condition) => Object.values(condition))) {
    if (!existsSync(new URL(`../${file}`, import.meta.url)))
      problems.push(`${name}: ${file} was not built (is it a tsup entry?)`);
  }
  if (!existsSync(new URL(`../${entry.source}`, import.meta.url)))
    problems.push(`${name}: its source ${entry.source} does not exist`);
  if (entry.subpath !== '.') {
    const mapped = typesVersions[entry.subpath.slice(2)];
    if (JSON.stringify(mapped) !== JSON.stringify([expected.require.types])) {
      problems.push(`typesVersions["*"]["${entry.subpath.slice(2)}"] should be ["${expected.require.types}"]`);
    }
  }
}
for (const key of Object.keys(typesVersions)) {
  if (!(`./${key}` in pkg.exports)) problems.push(`typesVersions["*"]["${key}"] has no matching export`);
}
for (const [command, file] of Object.entries(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) {
  if (!existsSync(new URL(`../${file}`, import.meta.url))) problems.push(`bin "${command}": ${file} was not built`);
}

if (problems.length > 0) {
  console.error(`package.json entries disagree:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `package entries consistent: ${publicEntries(pkg)
    .map((entry) => entry.subpath)
    .join(', ')}`,
);
