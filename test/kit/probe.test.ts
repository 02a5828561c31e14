// The conformance tester on the runner tests' probe type: the table form every task type's test
// takes, and the invariants it asserts for a reversible type (revert restores the world).
import { expect } from 'vitest';
import { testTasks } from '../helpers/registry.js';
import { world } from '../helpers/probe.js';
import { taskTester } from './task-tester.js';

let n = 0;
const item = () => `probe-item-${++n}`;

taskTester({
  type: 'probe',
  registry: testTasks,
  valid: [
    {
      name: 'creates an item, then has nothing to do; rollback removes it',
      params: () => ({ item: item() }),
      state: () => [...world.items].sort(),
      after: ({ run }) => expect(run.reporter.end('task under test').changes[0]).toMatchObject({ action: 'create' }),
    },
    {
      name: 'an item that exists already is ok',
      setup: () => {
        world.items.add('already-there');
      },
      params: { item: 'already-there' },
      expect: 'ok',
    },
  ],
  invalid: [
    { name: 'a parameter the type does not have', params: { item: 'x', colour: 'red' }, error: /colour/ },
    { name: 'a wrong type', params: { item: 'x', fail_times: 'twice' }, error: /fail_times/ },
    { name: 'a reference to an output the type does not declare', params: { item: 'y' }, tasks: [{ name: 'first', probe: { item: 'x' }, register: 'first' }, { name: 'uses it', probe: { item: '{{first.outputs.valeu}}' } }], error: /undefined variable "first\.outputs\.valeu"/ },
  ],
});
