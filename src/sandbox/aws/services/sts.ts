// STS over awsQuery: only who-am-i, which kfup uses to confirm the account before it acts.

import { rpcService } from '../service.js';
import { unflattenQuery } from '../wire.js';

export const sts = rpcService(
  { name: 'sts', signingName: 'sts', protocol: 'query', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' },
  {
    GetCallerIdentity: (_input, state) => ({ UserId: state.sts.UserId, Account: state.sts.Account, Arn: state.sts.Arn }),
  },
  (req) => new URLSearchParams(req.body).get('Action') ?? req.query.get('Action') ?? undefined,
  (req) => unflattenQuery(new URLSearchParams(req.body)),
);
