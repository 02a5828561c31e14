// set-vars: its conformance table (test/kit/task-tester.ts asserts what every task type owes; the
// behaviour particular to set-vars is in control.test.ts).
import { expect } from 'vitest';
import { taskTester } from '../kit/task-tester.js';

taskTester({
  type: 'set-vars',
  valid: [
    {
      name: 'sets variables later tasks see, with their types, and changes nothing outside kfup',
      params: { release: 'kf-1', replicas: 3 },
      expect: 'ok',
      after: ({ run }) => expect(run.reporter.end('task under test').status).toBe('ok'),
    },
  ],
  invalid: [
    { name: 'no variables', params: {}, error: /set-vars/ },
    { name: 'a name that is not a variable name', params: { 'bad-name': 1 }, error: /bad-name/ },
  ],
});
