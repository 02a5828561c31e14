// EFS over restJson1: DescribeFileSystems, all or by id.

import { restService } from '../service.js';
import type { EfsFileSystem } from '../state.js';
import { AwsError, epochSeconds } from '../wire.js';

const out = (f: EfsFileSystem) => ({
  OwnerId: f.OwnerId, CreationToken: f.CreationToken, FileSystemId: f.FileSystemId, FileSystemArn: f.FileSystemArn, CreationTime: epochSeconds(f.CreationTime),
  LifeCycleState: f.LifeCycleState, Name: f.Name, NumberOfMountTargets: f.NumberOfMountTargets, SizeInBytes: { Value: f.SizeInBytes, ValueInStandard: f.SizeInBytes, ValueInIA: 0 },
  PerformanceMode: f.PerformanceMode, Encrypted: f.Encrypted, ThroughputMode: f.ThroughputMode, Tags: f.Tags,
  FileSystemProtection: { ReplicationOverwriteProtection: 'ENABLED' },
});

export const efs = restService({ name: 'efs', signingName: 'elasticfilesystem', protocol: 'restJson' }, [
  {
    method: 'GET',
    pattern: /^\/2015-02-01\/file-systems\/?$/,
    operation: 'DescribeFileSystems',
    run: (_p, req, state) => {
      const id = req.query.get('FileSystemId');
      const token = req.query.get('CreationToken');
      let list = [...state.efs.fileSystems.values()];
      if (id) {
        const f = state.efs.fileSystems.get(id);
        if (!f) throw new AwsError('FileSystemNotFound', `File system '${id}' does not exist.`, 404, { ErrorCode: 'FileSystemNotFound', Message: `File system '${id}' does not exist.` });
        list = [f];
      }
      if (token) list = list.filter((f) => f.CreationToken === token);
      return { body: { FileSystems: list.map(out) } };
    },
  },
]);
