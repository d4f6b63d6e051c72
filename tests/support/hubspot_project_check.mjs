// Parse a HubSpot developer project with HubSpot's own parser (@hubspot/project-parsing-lib), offline.
//
// Usage: node hubspot_project_check.mjs <parser package dir> <project dir>
// Prints one JSON object {components: {uid: type}, errors: [...]}; exits 1 when there are errors.
//
// It runs every check of the parser that needs no HubSpot account: hsproject.json (parseProjectConfig), the
// platform version, where each *-hsmeta.json lies and its top-level fields (loadHsMetaFiles), the app/feature
// structure (transform), duplicate uids (getIntermediateRepresentation), each uid's form (validateUid) and
// single components (getProjectMetadata). The JSON schemas of the components' `config` are fetched from HubSpot
// with an account (lib/schemas.js): tests/unit/rules/test_app_project_schema.py checks those fields instead.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [packageDir, projectDir] = process.argv.slice(2);
const lib = async name => import(pathToFileURL(path.join(packageDir, 'src', 'lib', name)).href);
const { parseProjectConfig, getProjectMetadata } = await lib('project.js');
const { isKnownPlatformVersion } = await lib('platformVersion.js');
const { loadHsMetaFiles } = await lib('files.js');
const { transform, getIntermediateRepresentation, getParsingErrors } = await lib('transform.js');
const { validateUid } = await lib('uid.js');
const { Components } = await lib('constants.js');

const errors = [];
const components = {};
try {
  const config = parseProjectConfig(projectDir);
  if (!isKnownPlatformVersion(config.platformVersion)) {
    errors.push(`unknown platformVersion ${config.platformVersion}`);
  }
  const context = { projectSourceDir: path.join(projectDir, config.srcDir), platformVersion: config.platformVersion };
  const { results, skippedFiles } = await loadHsMetaFiles(context);
  skippedFiles.forEach(file => errors.push(`${file}: not in a component's directory, skipped`));
  const transformations = transform(results, context);
  getParsingErrors(transformations).forEach(result => errors.push(`${result.file}: ${result.errors.join('; ')}`));
  const representation = getIntermediateRepresentation(transformations, undefined, false);
  for (const [uid, node] of Object.entries(representation.intermediateNodesIndexedByUid)) {
    components[uid] = node.componentType;
    const problem = validateUid(uid);
    if (problem) errors.push(`${node.metaFilePath}: ${problem}`);
  }
  const metadata = await getProjectMetadata(context.projectSourceDir);
  for (const [type, found] of Object.entries(metadata.components)) {
    if (Components[type]?.singularComponent && found.count > 1) {
      errors.push(`${found.count} ${type} components, HubSpot allows one`);
    }
  }
} catch (error) {
  errors.push(error.message);
}
console.log(JSON.stringify({ components, errors }));
process.exit(errors.length ? 1 : 0);
