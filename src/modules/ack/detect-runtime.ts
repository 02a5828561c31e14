// Finds the ACK runtime version of a cluster's SageMaker controller from its Deployment's image
// tag (the ack-system namespace by default), for the deletion-policy decision.
import { listAll, type KubeClients, type KubeRetryOptions } from '../kit/index.js';
import { runtimeForSageMakerController, splitImage } from './runtime-version.js';

export interface DetectedRuntime {
  /** e.g. "0.25.0" */
  runtime?: string;
  /** the image the answer came from, for messages */
  image?: string;
  deployment?: string;
  /** why no answer, when runtime is undefined */
  problem?: string;
}

interface DeploymentLike {
  metadata?: { name?: string };
  spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
}

export async function detectAckRuntime(kube: KubeClients, namespace: string, retry: KubeRetryOptions): Promise<DetectedRuntime> {
  const deployments = await listAll<DeploymentLike>((cont, limit) => kube.apps.listNamespacedDeployment({ namespace, limit, _continue: cont }), retry);
  for (const d of deployments) {
    for (const c of d.spec?.template?.spec?.containers ?? []) {
      const image = c.image ?? '';
      const { repo, tag } = splitImage(image);
      if (!/\/sagemaker-controller$/.test(repo)) continue;
      const deployment = d.metadata?.name;
      if (!tag) return { image, deployment, problem: `image ${image} has no tag` };
      const runtime = runtimeForSageMakerController(tag);
      if (!runtime) return { image, deployment, problem: `tag "${tag}" of ${image} is not a sagemaker-controller release version` };
      return { runtime, image, deployment };
    }
  }
  return { problem: `no Deployment in namespace ${namespace} runs a sagemaker-controller image` };
}
