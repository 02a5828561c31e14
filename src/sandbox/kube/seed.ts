// Seeds one sandbox cluster. Blue is a Kubeflow on AWS production cluster with user profiles,
// notebooks, volumes, model servers and ACK endpoints; green is the same platform freshly
// deployed, with Velero on the same bucket and no user data. Everything is embedded: the
// product needs nothing from outside the repository at run time.
import type { Scenario } from '../scenario.js';
import { sandboxCrds } from './crds/index.js';
import { createIfAbsent } from './controllers/util.js';
import { nodeNames } from './seed-ids.js';
import { seedProfile } from './seed-profiles.js';
import { systemObjects, type Side } from './seed-system.js';
import type { ObjectStore } from './store-api.js';

export { CONFIG_DOMAIN, KUBEFLOW_VERSION, NOTEBOOK_CONTROLLER, SYSTEM_NAMESPACES } from './seed-system.js';
export { KUBEFLOW_SCRAPE_JOBS, PROMETHEUS } from './seed-prometheus.js';
export { accessPointId, ebsVolumeId, pvName } from './seed-ids.js';

export function seedCluster(store: ObjectStore, scenario: Scenario, side: Side): void {
  // the kinds first: creating a CRD registers its kind in the store
  for (const crd of sandboxCrds()) createIfAbsent(store, crd);
  for (const obj of systemObjects(scenario, side)) {
    // a store may already hold default and kube-system, as a new cluster does
    if (obj.kind === 'Namespace') createIfAbsent(store, obj);
    else store.create(obj);
  }
  if (side !== 'blue') return;
  const nodes = nodeNames(side);
  for (const p of scenario.profiles) seedProfile(store, scenario, p, nodes);
}
