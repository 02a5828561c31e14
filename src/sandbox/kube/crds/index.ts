// Every custom resource kind the sandbox clusters serve. Creating these CRD objects in a store
// registers the kinds (the store reads group, names, scope and versions from them).
import type { KubeObject } from '../store-api.js';
import { ackCrds } from './ack.js';
import { kubeflowCrds } from './kubeflow.js';
import { servingCrds } from './serving.js';
import { veleroCrds } from './velero.js';

export function sandboxCrds(): KubeObject[] {
  return [...veleroCrds(), ...ackCrds(), ...kubeflowCrds(), ...servingCrds()];
}
