// Build step: writes schemas/kfup.schema.json and kfup.tasks.schema.json (for task files that
// playbooks import) (the combined schema editors point at with
// `# yaml-language-server: $schema=...`) from the envelope and task-type schemas. Generated,
// never edited by hand, and not committed.
import { writeFileAtomic } from '../dist/runner/state/fs-atomic.js';
import { combinedSchema, taskFileSchema } from '../dist/runner/load/combined-schema.js';
import { builtinTasks } from '../dist/modules/index.js';
import { packagePath } from '../dist/runner/load/package-root.js';

writeFileAtomic(packagePath('schemas', 'kfup.schema.json'), JSON.stringify(combinedSchema(builtinTasks), null, 2) + '\n');
writeFileAtomic(packagePath('schemas', 'kfup.tasks.schema.json'), JSON.stringify(taskFileSchema(builtinTasks), null, 2) + '\n');
