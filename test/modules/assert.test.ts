// assert: its conformance table (test/kit/task-tester.ts asserts what every task type owes; the
// behaviour particular to assert is in control.test.ts).
import { expect } from 'vitest';
import { taskTester } from '../kit/task-tester.js';

taskTester({
  type: 'assert',
  valid: [
    {
      name: 'conditions that hold are ok in every mode, and change nothing',
      vars: { a: 'kf', b: 'kf' },
      params: { that: ['{{eq a b}}', true], success_msg: 'same' },
      expect: 'ok',
      after: ({ run }) => expect(run.reporter.end('task under test').notes).toEqual(['same']),
    },
  ],
  invalid: [
    { name: 'no conditions', params: {}, error: /that/ },
    { name: 'an empty list of conditions', params: { that: [] }, error: /that/ },
    { name: 'a condition naming a variable that does not exist', params: { that: ['{{eq nowhere 1}}'] }, error: /undefined variable "nowhere"/ },
  ],
});
