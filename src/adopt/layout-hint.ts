/**
 * Folder validation's hint for files copied in from another tool: which tool's layout they look
 * like, and the command that converts them, instead of a message about ids that sends people
 * renumbering by hand.
 */
import { ValidationError } from '../errors';
import { toolOfLayout } from './index';

/** Eight digits and more: a date (20230101) or a timestamp (20230101120000), not a count. */
const TIMESTAMP_ID = /^(\d{8,})[-_]/;

/** The error to report instead, when the files look like another tool's; undefined when they do not. */
export function foreignLayoutError(fileNames: string[], read: (fileName: string) => string): ValidationError | undefined {
  const tool = toolOfLayout(fileNames, read);
  const where = 'docs/adopting.md';
  if (tool?.convertFolder) {
    return new ValidationError(
      `versioned/ holds ${tool.layout}, ${tool.name}'s layout, which this migrator does not read: move them out of versioned/ and ` +
        `convert them with: migrator import --from ${tool.name} <their folder>; then, on a database ${tool.name} migrated, ` +
        `migrator baseline --from ${tool.name} (${where})`,
    );
  }
  if (tool) {
    return new ValidationError(
      `versioned/ holds ${tool.layout}, ${tool.name}'s layout: move them out of versioned/ and write each revision's SQL in a versioned ` +
        `file whose header has the line -- migrator: from ${tool.name} <revision>; then, on a database it migrated, ` +
        `migrator baseline --from ${tool.name} (${where})`,
    );
  }
  const timestamped = fileNames.find((name) => TIMESTAMP_ID.test(name));
  if (timestamped) {
    return new ValidationError(
      `versioned/${timestamped} has a timestamp for its id, but ids here run 1, 2, 3... in order: files of golang-migrate, ` +
        `dbmate or Flyway convert with migrator import --from <tool> <their folder> (${where}); others, rename to 1_..., 2_... in order`,
      timestamped,
    );
  }
  return undefined;
}
