// ACK: the SageMaker controller's Endpoint and the ACK runtime's AdoptedResource.
import type { KubeObject } from '../store-api.js';
import { anyObj, conditions, crd, list, obj, root, str, strMap } from './schema.js';

function endpoint(): KubeObject {
  const spec = obj(
    {
      endpointName: str(),
      endpointConfigName: str(),
      deploymentConfig: anyObj(),
      tags: list(obj({ key: str(), value: str() })),
    },
    { required: ['endpointConfigName', 'endpointName'] },
  );
  const status = obj({
    ackResourceMetadata: obj({ arn: str(), ownerAccountID: str(), region: str() }, { required: ['ownerAccountID', 'region'] }),
    conditions: conditions(),
    endpointStatus: str(),
    failureReason: str(),
    creationTime: str({ format: 'date-time' }),
    lastModifiedTime: str({ format: 'date-time' }),
    productionVariants: list(anyObj()),
    pendingDeploymentSummary: anyObj(),
  });
  return crd({
    group: 'sagemaker.services.k8s.aws',
    kind: 'Endpoint',
    plural: 'endpoints',
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        storage: true,
        statusSubresource: true,
        schema: root(spec, status),
        printerColumns: [
          { name: 'EndpointStatus', type: 'string', jsonPath: '.status.endpointStatus' },
          { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="ACK.ResourceSynced")].status' },
        ],
      },
    ],
  });
}

function adoptedResource(): KubeObject {
  const spec = obj(
    {
      aws: obj({ nameOrID: str(), arn: str(), additionalKeys: strMap() }),
      kubernetes: obj(
        {
          group: str(),
          kind: str(),
          metadata: obj({
            name: str(),
            namespace: str(),
            generateName: str(),
            labels: strMap(),
            annotations: strMap(),
            ownerReferences: list(anyObj()),
          }),
        },
        { required: ['group', 'kind'] },
      ),
    },
    { required: ['aws', 'kubernetes'] },
  );
  const status = obj({ conditions: conditions() }, { required: ['conditions'] });
  return crd({
    group: 'services.k8s.aws',
    kind: 'AdoptedResource',
    plural: 'adoptedresources',
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', storage: true, statusSubresource: true, schema: root(spec, status) }],
  });
}

export function ackCrds(): KubeObject[] {
  return [endpoint(), adoptedResource()];
}
