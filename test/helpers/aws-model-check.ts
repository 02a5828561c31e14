// Every answer a test's AWS sandbox sends is read back against its operation's output shape in
// the official AWS models (src/sandbox/aws/model/response-check.ts). The problems are collected
// while the sandbox runs and thrown when it stops, so a file whose sandbox answered outside the
// model fails in its afterAll, naming each problem.
import { responseChecker } from '../../src/sandbox/aws/model/response-check.js';
import type { AwsReply } from '../../src/sandbox/aws/index.js';

export interface ModelChecker {
  onResponse: (reply: AwsReply) => void;
  /** throws if any answer so far departed from the model */
  assertClean: () => void;
}

export function awsModelChecker(): ModelChecker {
  const c = responseChecker();
  return {
    onResponse: c.onResponse,
    assertClean: () => {
      if (!c.problems.length) return;
      const unique = [...new Set(c.problems)];
      throw new Error(`the AWS sandbox answered outside the service models:\n  ${unique.slice(0, 20).join('\n  ')}${unique.length > 20 ? `\n  ... ${unique.length - 20} more` : ''}`);
    },
  };
}
