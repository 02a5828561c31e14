// One line for a failed Kubernetes request in a task's error message.
import { kubeMessage, kubeStatus } from '../kit/index.js';

export function describeFailure(e: unknown): string {
  const code = kubeStatus(e);
  return code ? `${code}: ${kubeMessage(e)}` : kubeMessage(e);
}
