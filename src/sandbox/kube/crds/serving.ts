// Model serving: KServe's InferenceService and the Istio AuthorizationPolicy that lets traffic
// reach a predictor. Component specs (predictor, transformer) stay opaque.
import type { KubeObject } from '../store-api.js';
import { anyObj, conditions, crd, enumOf, int, list, obj, root, str, strMap } from './schema.js';

function inferenceService(): KubeObject {
  const spec = obj({ predictor: anyObj(), transformer: anyObj(), explainer: anyObj() }, { required: ['predictor'] });
  const status = obj(
    {
      url: str(),
      address: anyObj(),
      conditions: conditions(),
      components: anyObj(),
      modelStatus: anyObj(),
      annotations: strMap(),
      observedGeneration: int({ format: 'int64' }),
    },
    { open: true },
  );
  return crd({
    group: 'serving.kserve.io',
    kind: 'InferenceService',
    plural: 'inferenceservices',
    shortNames: ['isvc'],
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        statusSubresource: true,
        schema: root(spec, status),
        printerColumns: [
          { name: 'URL', type: 'string', jsonPath: '.status.url' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        ],
      },
    ],
  });
}

function authorizationPolicy(): KubeObject {
  const spec = obj({
    action: enumOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
    selector: obj({ matchLabels: strMap() }),
    rules: list(anyObj()),
    provider: anyObj(),
  });
  return crd({
    group: 'security.istio.io',
    kind: 'AuthorizationPolicy',
    plural: 'authorizationpolicies',
    categories: ['istio-io', 'security-istio-io'],
    scope: 'Namespaced',
    versions: [{ name: 'v1beta1', storage: true, statusSubresource: true, schema: root(spec, anyObj()) }],
  });
}

export function servingCrds(): KubeObject[] {
  return [inferenceService(), authorizationPolicy()];
}
