// The task types tests run with: the built-in ones and the runner tests' probe type, handed to
// the runner as the CLI hands it the built-in ones.
import { withTasks } from '../../src/modules/index.js';
import { probe } from './probe.js';

export const testTasks = withTasks(probe);
