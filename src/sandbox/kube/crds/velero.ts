// Velero 1.x kinds as the sandbox serves them: the fields the emulated Velero and kfup read and
// write are typed; selectors and hooks are kept as opaque objects. Like the real Velero CRDs,
// none of these has a status subresource.
import type { KubeObject } from '../store-api.js';
import { anyObj, bool, crd, enumOf, int, obj, root, str, strList, strMap, time } from './schema.js';

const group = 'velero.io';
const labels = { component: 'velero' };
const nullableList = () => strList({ nullable: true });
const nullableBool = () => bool({ nullable: true });
const selector = () => ({ ...anyObj(), nullable: true });

/** the scoping fields Backup and Restore share */
const scoping = () => ({
  includedNamespaces: nullableList(),
  excludedNamespaces: nullableList(),
  includedResources: nullableList(),
  excludedResources: nullableList(),
  includeClusterResources: nullableBool(),
  labelSelector: selector(),
  orLabelSelectors: { type: 'array', nullable: true, items: anyObj() },
  itemOperationTimeout: str(),
  hooks: anyObj(),
});

const progress = (done: string) => obj({ totalItems: int(), [done]: int() }, { nullable: true });
const hookStatus = () => obj({ hooksAttempted: int(), hooksFailed: int() }, { nullable: true });

function backup(): KubeObject {
  const spec = obj({
    ...scoping(),
    includedClusterScopedResources: nullableList(),
    excludedClusterScopedResources: nullableList(),
    includedNamespaceScopedResources: nullableList(),
    excludedNamespaceScopedResources: nullableList(),
    storageLocation: str(),
    volumeSnapshotLocations: strList(),
    snapshotVolumes: nullableBool(),
    snapshotMoveData: nullableBool(),
    datamover: str(),
    defaultVolumesToFsBackup: nullableBool(),
    defaultVolumesToRestic: nullableBool(),
    ttl: str(),
    csiSnapshotTimeout: str(),
    metadata: obj({ labels: strMap() }),
    orderedResources: { ...strMap(), nullable: true },
    resourcePolicy: obj({ apiGroup: str(), kind: str(), name: str() }, { required: ['kind', 'name'] }),
    uploaderConfig: obj({ parallelFilesUpload: int() }, { nullable: true }),
    volumeGroupSnapshotLabelKey: str(),
  });
  const status = obj({
    phase: enumOf(
      'New', 'Queued', 'ReadyToStart', 'FailedValidation', 'InProgress', 'WaitingForPluginOperations',
      'WaitingForPluginOperationsPartiallyFailed', 'Finalizing', 'FinalizingPartiallyFailed', 'Completed',
      'PartiallyFailed', 'Failed', 'Deleting',
    ),
    validationErrors: nullableList(),
    failureReason: str(),
    version: int(),
    formatVersion: str(),
    expiration: time(),
    startTimestamp: time(),
    completionTimestamp: time(),
    progress: progress('itemsBackedUp'),
    warnings: int(),
    errors: int(),
    hookStatus: hookStatus(),
    volumeSnapshotsAttempted: int(),
    volumeSnapshotsCompleted: int(),
    csiVolumeSnapshotsAttempted: int(),
    csiVolumeSnapshotsCompleted: int(),
    backupItemOperationsAttempted: int(),
    backupItemOperationsCompleted: int(),
    backupItemOperationsFailed: int(),
    queuePosition: int(),
  });
  return crd({
    group,
    labels,
    kind: 'Backup',
    plural: 'backups',
    scope: 'Namespaced',
    versions: [{ name: 'v1', storage: true, schema: root(spec, status) }],
  });
}

function restore(): KubeObject {
  const spec = obj({
    ...scoping(),
    backupName: str(),
    scheduleName: str(),
    namespaceMapping: strMap(),
    restorePVs: nullableBool(),
    preserveNodePorts: nullableBool(),
    existingResourcePolicy: str({ nullable: true }),
    restoreStatus: obj({ includedResources: nullableList(), excludedResources: nullableList() }, { nullable: true }),
    resourceModifier: obj({ apiGroup: str(), kind: str(), name: str() }, { required: ['kind', 'name'], nullable: true }),
    uploaderConfig: obj({ parallelFilesDownload: int(), writeSparseFiles: nullableBool() }, { nullable: true }),
  });
  const status = obj({
    phase: enumOf(
      'New', 'FailedValidation', 'InProgress', 'WaitingForPluginOperations', 'WaitingForPluginOperationsPartiallyFailed',
      'Completed', 'PartiallyFailed', 'Failed', 'Finalizing', 'FinalizingPartiallyFailed',
    ),
    validationErrors: nullableList(),
    failureReason: str(),
    startTimestamp: time(),
    completionTimestamp: time(),
    progress: progress('itemsRestored'),
    warnings: int(),
    errors: int(),
    hookStatus: hookStatus(),
    restoreItemOperationsAttempted: int(),
    restoreItemOperationsCompleted: int(),
    restoreItemOperationsFailed: int(),
  });
  return crd({
    group,
    labels,
    kind: 'Restore',
    plural: 'restores',
    scope: 'Namespaced',
    versions: [{ name: 'v1', storage: true, schema: root(spec, status) }],
  });
}

const podRef = () =>
  obj({ apiVersion: str(), kind: str(), name: str(), namespace: str(), uid: str(), resourceVersion: str(), fieldPath: str() });
const volumePhase = () => enumOf('New', 'Accepted', 'Prepared', 'InProgress', 'Canceling', 'Canceled', 'Completed', 'Failed');
const bytes = () => obj({ totalBytes: int({ format: 'int64' }), bytesDone: int({ format: 'int64' }) });

function podVolumeBackup(): KubeObject {
  const spec = obj(
    {
      node: str(),
      pod: podRef(),
      volume: str(),
      backupStorageLocation: str(),
      repoIdentifier: str(),
      uploaderType: enumOf('kopia', 'restic', ''),
      tags: strMap(),
      uploaderSettings: { ...strMap(), nullable: true },
      cancel: bool(),
    },
    { required: ['backupStorageLocation', 'node', 'pod', 'repoIdentifier', 'volume'] },
  );
  const status = obj({
    phase: volumePhase(),
    path: str(),
    snapshotID: str(),
    message: str(),
    startTimestamp: time(),
    completionTimestamp: time(),
    acceptedTimestamp: time(),
    progress: bytes(),
    incrementalBytes: int({ format: 'int64' }),
  });
  return crd({
    group,
    labels,
    kind: 'PodVolumeBackup',
    plural: 'podvolumebackups',
    scope: 'Namespaced',
    versions: [{ name: 'v1', storage: true, schema: root(spec, status) }],
  });
}

function podVolumeRestore(): KubeObject {
  const spec = obj(
    {
      pod: podRef(),
      volume: str(),
      backupStorageLocation: str(),
      repoIdentifier: str(),
      uploaderType: enumOf('kopia', 'restic', ''),
      snapshotID: str(),
      snapshotSize: int({ format: 'int64' }),
      sourceNamespace: str(),
      uploaderSettings: { ...strMap(), nullable: true },
      cancel: bool(),
    },
    { required: ['backupStorageLocation', 'pod', 'repoIdentifier', 'snapshotID', 'sourceNamespace', 'volume'] },
  );
  const status = obj({
    phase: volumePhase(),
    message: str(),
    node: str(),
    startTimestamp: time(),
    completionTimestamp: time(),
    acceptedTimestamp: time(),
    progress: bytes(),
  });
  return crd({
    group,
    labels,
    kind: 'PodVolumeRestore',
    plural: 'podvolumerestores',
    scope: 'Namespaced',
    versions: [{ name: 'v1', storage: true, schema: root(spec, status) }],
  });
}

function backupStorageLocation(): KubeObject {
  const secretKey = () => obj({ name: str(), key: str(), optional: bool() }, { required: ['key'] });
  const spec = obj(
    {
      provider: str(),
      objectStorage: obj({ bucket: str(), prefix: str(), caCert: str({ format: 'byte' }), caCertRef: secretKey() }, { required: ['bucket'] }),
      config: strMap(),
      credential: secretKey(),
      default: bool(),
      accessMode: enumOf('ReadOnly', 'ReadWrite'),
      backupSyncPeriod: str({ nullable: true }),
      validationFrequency: str({ nullable: true }),
    },
    { required: ['objectStorage', 'provider'] },
  );
  const status = obj({
    phase: enumOf('Available', 'Unavailable'),
    message: str(),
    accessMode: enumOf('ReadOnly', 'ReadWrite'),
    lastSyncedTime: time(),
    lastValidationTime: time(),
    lastSyncedRevision: str(),
  });
  return crd({
    group,
    labels,
    kind: 'BackupStorageLocation',
    plural: 'backupstoragelocations',
    shortNames: ['bsl'],
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        storage: true,
        schema: root(spec, status),
        printerColumns: [
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Last Validated', type: 'date', jsonPath: '.status.lastValidationTime' },
          { name: 'Default', type: 'boolean', jsonPath: '.spec.default' },
        ],
      },
    ],
  });
}

/**
 * A request for a file in the bucket (a restore's results, a backup's log): Velero's download
 * request controller answers with a pre-signed URL (vmware-tanzu/velero
 * config/crd/v1/bases/velero.io_downloadrequests.yaml, pkg/apis/velero/v1/download_request_types.go)
 */
function downloadRequest(): KubeObject {
  const spec = obj(
    {
      target: obj(
        {
          kind: enumOf(
            'BackupLog', 'BackupContents', 'BackupVolumeSnapshots', 'BackupItemOperations', 'BackupResourceList', 'BackupResults',
            'RestoreLog', 'RestoreResults', 'RestoreResourceList', 'RestoreItemOperations', 'CSIBackupVolumeSnapshots',
            'CSIBackupVolumeSnapshotContents', 'BackupVolumeInfos', 'RestoreVolumeInfo',
          ),
          name: str(),
        },
        { required: ['kind', 'name'] },
      ),
    },
    { required: ['target'] },
  );
  const status = obj({ phase: enumOf('New', 'Processed'), downloadURL: str(), expiration: time() });
  return crd({ group, labels, kind: 'DownloadRequest', plural: 'downloadrequests', scope: 'Namespaced', versions: [{ name: 'v1', storage: true, schema: root(spec, status) }] });
}

export function veleroCrds(): KubeObject[] {
  return [backup(), restore(), podVolumeBackup(), podVolumeRestore(), backupStorageLocation(), downloadRequest()];
}
