// The package's public entries, read from its `exports` map: one source of truth for the package check
// and for typedoc's entry points. `.` is built from src/index.ts, `./x` from src/x/index.ts, into dist/x.*.

/**
 * @param {{ exports: Record<string, unknown> }} pkg the parsed package.json
 * @returns {{ subpath: string, distName: string, source: string }[]}
 */
export function publicEntries(pkg) {
  return Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      return { subpath, distName: name, source: subpath === '.' ? 'src/index.ts' : `src/${name}/index.ts` };
    });
}
