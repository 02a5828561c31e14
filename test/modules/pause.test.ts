// pause: its conformance table (test/kit/task-tester.ts asserts what every task type owes; the
// behaviour particular to pause is in control.test.ts).
import { expect } from 'vitest';
import { taskTester } from '../kit/task-tester.js';

taskTester({
  type: 'pause',
  valid: [
    {
      // the tester's runs pass --yes: the gate is approved and changes nothing outside kfup
      name: 'an approved gate is ok, and check only says what it would ask',
      params: { prompt: 'Maintenance window open?' },
      expect: 'ok',
      after: ({ run, check }) => {
        expect(run.reporter.end('task under test').notes).toEqual(['approved']);
        expect(check.reporter.end('task under test').notes.join()).toMatch(/would ask: Maintenance window open\?/);
      },
    },
  ],
  invalid: [
    { name: 'no question', params: {}, error: /prompt/ },
    { name: 'an empty question', params: { prompt: '' }, error: /prompt/ },
  ],
});
