// The in-process face of a sandbox cluster's object store. The HTTP API server is built on it;
// seed data and the emulated controllers (Velero, ACK) use it directly, so their own writes are
// not in the request log (they are the cluster acting, not a client).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type StoreListener = (type: WatchEventType, obj: KubeObject) => void;

/** thrown by the store; the HTTP layer turns it into a Kubernetes Status with this code */
export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'BadRequest' | 'MethodNotAllowed',
    message: string,
    readonly causes: { field: string; message: string; reason?: string }[] = [],
    /** the object refused, for the Status details (an Invalid create names it though the URL does not) */
    readonly objectName?: string,
  ) {
    super(message);
  }
}

export interface ObjectStore {
  /** assigns uid, resourceVersion, creationTimestamp, generation 1; AlreadyExists if present; validates custom resources */
  create(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  /** namespace undefined = all namespaces; labelSelector in Kubernetes syntax */
  list(apiVersion: string, kind: string, namespace?: string, opts?: { labelSelector?: string }): KubeObject[];
  /**
   * Replace. Conflict when obj.metadata.resourceVersion is set and stale. Bumps generation when
   * anything but metadata and status changed. An object with deletionTimestamp whose finalizers
   * become empty is removed.
   */
  update(obj: KubeObject): KubeObject;
  /** with finalizers: sets deletionTimestamp and keeps the object; without: removes it. Returns the object as it was left or removed */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  /** every change of the given kinds (`group/Kind`, e.g. `velero.io/Backup`; default all), after it happened; returns unsubscribe */
  watch(listener: StoreListener, kinds?: string[]): () => void;
}
