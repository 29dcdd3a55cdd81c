// typedoc: the API reference in docs/api, from the TSDoc in the source of every public entry.
import { readFileSync } from 'node:fs';
import { publicEntries } from './scripts/public-entries.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  // The entries users import, read from package.json's `exports`, so an entry added there is documented.
  entryPoints: publicEntries(pkg).map((entry) => entry.source),
  out: 'docs/api',
  tsconfig: 'tsconfig.json',
  readme: 'none',
  // The repository has no public remote to link source lines to.
  disableSources: true,
  plugin: ['./scripts/typedoc-require-example.mjs'],
  treatWarningsAsErrors: true,
  validation: {
    notExported: true,
    invalidLink: true,
    invalidPath: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  // Members users meet: the stores' protected plumbing is for the library's own dialects, not documented.
  requiredToBeDocumented: [
    'Enum',
    'EnumMember',
    'Variable',
    'Function',
    'Class',
    'Constructor',
    'Interface',
    'Property',
    'Method',
    'CallSignature',
    'Accessor',
    'TypeAlias',
  ],
  excludePrivate: true,
  excludeProtected: true,
  excludeInternal: true,
};
