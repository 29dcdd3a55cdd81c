// Every TypeScript sample in the README and the guides must be code that compiles: each ```ts block has
// to appear, line for line (indentation and blank lines aside), in a file under docs/examples/ (at any depth), which
// `npm run typecheck` compiles against the library. Other blocks (sh, sql, text) are not checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

const examples = readdirSync(join(root, 'docs/examples'), { recursive: true })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ name, lines: lines(readFileSync(join(root, 'docs/examples', name), 'utf8')) }));

function contains(haystack, needle) {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let index = 0; index < needle.length; index++) if (haystack[start + index] !== needle[index]) continue outer;
    return true;
  }
  return false;
}

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const problems = [];
let checked = 0;
for (const document of documents) {
  const text = readFileSync(join(root, document), 'utf8');
  for (const match of text.matchAll(/^[ \t]*```(?:ts|typescript)\n([\s\S]*?)^[ \t]*```$/gm)) {
    checked++;
    const block = lines(match[1]);
    if (!examples.some((example) => contains(example.lines, block))) {
      const line = text.slice(0, match.index).split('\n').length;
      problems.push(`${document}:${line}: this TypeScript sample is not in any docs/examples/**/*.ts file`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${checked} TypeScript samples in ${documents.length} documents match the type-checked examples`);
