// `npm run docs`: the API reference from src/index.ts's exports into docs/api/ (git-ignored build output).
// Any warning fails the build: an undocumented export, a broken {@link}, a type referenced but not exported.
import { OptionDefaults } from 'typedoc';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints: ['src/index.ts'],
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  name: 'collapse-lab',
  readme: 'none',
  // the theory's citations: @source (paper, theorem) and @proof (proofs/<file>.md#<label>)
  blockTags: [...OptionDefaults.blockTags, '@source', '@proof'],
  // source links relative to the clone (docs/api/<kind>/<page>.html → ../../../src/…): no git remote needed, and a
  // clone without one (CI's, a tarball's) builds without a warning
  disableGit: true,
  sourceLinkTemplate: '../../../{path}#L{line}',
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true, rewrittenLink: true, unusedMergeModuleWith: true },
  // every exported declaration, not each field of each interface (fields are documented where they need it)
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias'],
};
