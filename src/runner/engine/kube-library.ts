// The parts of @kubernetes/client-node that kfup uses, and nothing else: the context imports this
// module (not the package) when a run reaches a cluster, so that the bundler can leave the rest
// of client-node's generated API classes and models out of what the CLI loads.
export { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, NetworkingV1Api, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
